import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { Transactions } from '../../../src/database/transactions';
import { EncryptionModule } from '../../../src/modules/encryption';
import { EncryptionService } from '../../../src/modules/encryption/encryption.service';
import { generateKey } from '../../../src/modules/encryption/fernet';
import { SecretRepository } from '../../../src/modules/encryption/secret.repository';
import { useTestModule } from '../../harness';

describe('EncryptionService: secrets of many owners at once', () => {
  const m = useTestModule({
    imports: [EncryptionModule],
    env: { ENCRYPTION_KEYS: generateKey() },
  });
  const svc = () => m.get<EncryptionService>(EncryptionService);
  const tx = <T>(work: (manager: EntityManager) => Promise<T>) =>
    m.get<Transactions>(Transactions).run((t) => work(t.manager));
  const ref = (ownerId: string, field: string) => ({ ownerType: 'provider_token', ownerId, field });
  const idOf = async (ownerId: string, field: string): Promise<string> =>
    (
      await m.dataSource.query(`SELECT id FROM secrets WHERE owner_id = $1 AND field = $2`, [
        ownerId,
        field,
      ])
    )[0].id;

  it('replaces existing secrets in place and inserts new ones; reads back per owner, optionally some fields', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const keptId = await tx((em) => svc().storeSecret(em, ref(a, 'refresh_token'), 'rt-a'));
    await tx((em) =>
      svc().storeSecrets(em, [
        { ref: ref(a, 'refresh_token'), plaintext: 'rt-a2' },
        { ref: ref(a, 'access_token'), plaintext: 'at-a' },
        { ref: ref(b.toUpperCase(), 'access_token'), plaintext: 'at-b' },
      ]),
    );
    expect(await idOf(a, 'refresh_token')).toBe(keptId);
    const all = await svc().readSecretsOfOwners(m.dataSource.manager, 'provider_token', [
      a,
      b,
      randomUUID(),
    ]);
    expect(Object.fromEntries(all)).toEqual({
      [a]: { access_token: 'at-a', refresh_token: 'rt-a2' },
      [b]: { access_token: 'at-b' },
    });
    const some = await svc().readSecretsOfOwners(
      m.dataSource.manager,
      'provider_token',
      [a],
      ['refresh_token'],
    );
    expect(some.get(a)).toEqual({ refresh_token: 'rt-a2' });
    expect((await svc().readSecretsOfOwners(m.dataSource.manager, 'x', [])).size).toBe(0);
  });

  it('refuses the same secret twice and non-strings; nothing to store is a no-op', async () => {
    const a = randomUUID();
    await expect(
      tx((em) =>
        svc().storeSecrets(em, [
          { ref: ref(a, 'f'), plaintext: '1' },
          { ref: ref(a.toUpperCase(), 'f'), plaintext: '2' },
        ]),
      ),
    ).rejects.toThrow(/the same secret twice/);
    await expect(
      tx((em) => svc().storeSecrets(em, [{ ref: ref(a, 'f'), plaintext: 1 as unknown as string }])),
    ).rejects.toThrow(TypeError);
    await tx((em) => svc().storeSecrets(em, []));
    expect(await m.dataSource.query(`SELECT 1 FROM secrets WHERE owner_id = $1`, [a])).toEqual([]);
  });

  it('an insert that lost a race to a concurrent one goes through the one-by-one path', async () => {
    const a = randomUUID();
    const id = await tx((em) => svc().storeSecret(em, ref(a, 'access_token'), 'first'));
    // As if the row appeared between the lock and the insert.
    const lock = jest.spyOn(m.get<SecretRepository>(SecretRepository), 'lockIdsOf');
    lock.mockResolvedValueOnce([]);
    await tx((em) =>
      svc().storeSecrets(em, [{ ref: ref(a, 'access_token'), plaintext: 'second' }]),
    );
    lock.mockRestore();
    expect(await idOf(a, 'access_token')).toBe(id);
    expect(await svc().readSecret(m.dataSource.manager, ref(a, 'access_token'))).toBe('second');
  });
});

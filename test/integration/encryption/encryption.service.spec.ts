import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { Clock, FakeClock } from '../../../src/common/clock';
import { Transactions } from '../../../src/database/transactions';
import { EncryptionModule } from '../../../src/modules/encryption';
import {
  SecretBindingError,
  SecretUnreadableError,
} from '../../../src/modules/encryption/encryption.errors';
import { EncryptionService } from '../../../src/modules/encryption/encryption.service';
import { Fernet, generateKey } from '../../../src/modules/encryption/fernet';
import { KeyRing, keyIdOf } from '../../../src/modules/encryption/key-ring';
import type { Ciphertext } from '../../../src/modules/encryption/secret.entity';
import { SecretRepository } from '../../../src/modules/encryption/secret.repository';
import { useTestModule } from '../../harness';

const PRIMARY = generateKey();
const OLD = generateKey();
const clock = new FakeClock('2026-03-01T12:00:00Z');

describe('EncryptionService (key ring, row binding)', () => {
  const m = useTestModule({
    imports: [EncryptionModule],
    env: { ENCRYPTION_KEYS: `${PRIMARY},${OLD}` },
    overrides: [{ provide: Clock, useValue: clock }],
  });
  const svc = () => m.get<EncryptionService>(EncryptionService);
  const tx = <T>(work: (manager: EntityManager) => Promise<T>) =>
    m.get<Transactions>(Transactions).run((t) => work(t.manager));
  const ciphertextOf = async (id: string): Promise<string> =>
    (await m.dataSource.query(`SELECT ciphertext FROM secrets WHERE id = $1`, [id]))[0].ciphertext;

  it('stores under the primary key, records its key id, and reads back', async () => {
    const ownerId = randomUUID();
    const id = await tx((em) =>
      svc().storeSecret(
        em,
        { ownerType: 'provider_token', ownerId, field: 'refresh_token' },
        'r3fr€sh',
      ),
    );
    const [row] = await m.dataSource.query(`SELECT * FROM secrets WHERE id = $1`, [id]);
    expect(row).toMatchObject({
      owner_type: 'provider_token',
      owner_id: ownerId,
      field: 'refresh_token',
      key_id: keyIdOf(PRIMARY),
    });
    expect(row.created_at.toISOString()).toBe('2026-03-01T12:00:00.000Z');
    expect(row.ciphertext).not.toContain('r3fr');
    expect(svc().primaryKeyId).toBe(keyIdOf(PRIMARY));
    expect(svc().primaryKeyId).toMatch(/^k_[0-9a-f]{8}$/);
    // A plain Fernet token under the primary key: the envelope inside names the row.
    const envelope = JSON.parse(new Fernet(PRIMARY).decrypt(row.ciphertext).toString());
    expect(envelope).toEqual({
      v: 1,
      id,
      ownerType: 'provider_token',
      ownerId,
      field: 'refresh_token',
      value: 'r3fr€sh',
    });
    // Fernet timestamp from the injected clock.
    expect(Buffer.from(row.ciphertext, 'base64url').readBigUInt64BE(1)).toBe(
      BigInt(Date.parse('2026-03-01T12:00:00Z') / 1000),
    );
    await expect(
      tx((em) =>
        svc().readSecret(em, { ownerType: 'provider_token', ownerId, field: 'refresh_token' }),
      ),
    ).resolves.toBe('r3fr€sh');
  });

  it('replaces in place: same id, new ciphertext, updated_at moves', async () => {
    const ref = { ownerType: 'provider_token', ownerId: randomUUID(), field: 'access_token' };
    const id1 = await tx((em) => svc().storeSecret(em, ref, 'one'));
    const before = await ciphertextOf(id1);
    clock.advance(60_000);
    const id2 = await tx((em) => svc().storeSecret(em, ref, 'two'));
    expect(id2).toBe(id1);
    expect(await ciphertextOf(id1)).not.toBe(before);
    await expect(tx((em) => svc().readSecret(em, ref))).resolves.toBe('two');
    const [row] = await m.dataSource.query(
      `SELECT created_at, updated_at FROM secrets WHERE id = $1`,
      [id1],
    );
    expect(row.updated_at.getTime() - row.created_at.getTime()).toBe(60_000);
  });

  it('normalises upper-case owner ids and round-trips empty and large values', async () => {
    const ownerId = randomUUID();
    const ref = { ownerType: 'x', ownerId: ownerId.toUpperCase(), field: 'f' };
    await tx((em) => svc().storeSecret(em, ref, ''));
    await expect(tx((em) => svc().readSecret(em, { ...ref, ownerId }))).resolves.toBe('');
    const big = 'ü'.repeat(20_000);
    await tx((em) => svc().storeSecret(em, ref, big));
    await expect(tx((em) => svc().readSecret(em, ref))).resolves.toBe(big);
  });

  it('returns null for a secret that does not exist and reads all fields of an owner in one query', async () => {
    const ownerId = randomUUID();
    await expect(
      tx((em) => svc().readSecret(em, { ownerType: 'x', ownerId, field: 'nope' })),
    ).resolves.toBeNull();
    await tx(async (em) => {
      await svc().storeSecret(em, { ownerType: 'x', ownerId, field: 'a' }, 'A');
      await svc().storeSecret(em, { ownerType: 'x', ownerId, field: 'b' }, 'B');
      await svc().storeSecret(em, { ownerType: 'y', ownerId, field: 'a' }, 'other owner type');
    });
    const queries: string[] = [];
    const em = m.dataSource.manager;
    const spy = jest.spyOn(em, 'query').mockImplementation(function (
      this: EntityManager,
      ...args: Parameters<EntityManager['query']>
    ) {
      queries.push(String(args[0]));
      return EntityManager.prototype.query.apply(this, args);
    });
    try {
      await expect(svc().readSecrets(em, 'x', ownerId)).resolves.toEqual({ a: 'A', b: 'B' });
    } finally {
      spy.mockRestore();
    }
    expect(queries).toHaveLength(1);
    await expect(svc().readSecrets(em, 'x', randomUUID())).resolves.toEqual({});
  });

  it('deletes every secret of one owner and nothing else', async () => {
    const ownerId = randomUUID();
    const keep = randomUUID();
    await tx(async (em) => {
      await svc().storeSecret(em, { ownerType: 'x', ownerId, field: 'a' }, 'A');
      await svc().storeSecret(em, { ownerType: 'x', ownerId, field: 'b' }, 'B');
      await svc().storeSecret(em, { ownerType: 'x', ownerId: keep, field: 'a' }, 'K');
    });
    await expect(tx((em) => svc().deleteSecrets(em, 'x', ownerId))).resolves.toBe(2);
    await expect(tx((em) => svc().deleteSecrets(em, 'x', ownerId))).resolves.toBe(0);
    await expect(tx((em) => svc().readSecrets(em, 'x', ownerId))).resolves.toEqual({});
    await expect(
      tx((em) => svc().readSecret(em, { ownerType: 'x', ownerId: keep, field: 'a' })),
    ).resolves.toBe('K');
  });

  it('rolls back with the caller transaction', async () => {
    const ref = { ownerType: 'x', ownerId: randomUUID(), field: 'a' };
    await expect(
      tx(async (em) => {
        await svc().storeSecret(em, ref, 'doomed');
        throw new Error('caller failed');
      }),
    ).rejects.toThrow('caller failed');
    await expect(tx((em) => svc().readSecret(em, ref))).resolves.toBeNull();
  });

  it('decrypts secrets stored under an older key of the ring', async () => {
    const old = new EncryptionService(new KeyRing([OLD]), m.get(SecretRepository), clock);
    const ref = { ownerType: 'x', ownerId: randomUUID(), field: 'a' };
    const id = await tx((em) => old.storeSecret(em, ref, 'under old key'));
    const [row] = await m.dataSource.query(`SELECT key_id FROM secrets WHERE id = $1`, [id]);
    expect(row.key_id).toBe(keyIdOf(OLD));
    await expect(tx((em) => svc().readSecret(em, ref))).resolves.toBe('under old key');
  });

  it('refuses a ciphertext copied onto another row, another field or another owner type', async () => {
    const ownerA = randomUUID();
    const ownerB = randomUUID();
    const idA = await tx((em) =>
      svc().storeSecret(em, { ownerType: 'x', ownerId: ownerA, field: 'refresh_token' }, 'victim'),
    );
    await tx(async (em) => {
      await svc().storeSecret(
        em,
        { ownerType: 'x', ownerId: ownerB, field: 'refresh_token' },
        'attacker',
      );
      await svc().storeSecret(
        em,
        { ownerType: 'x', ownerId: ownerB, field: 'access_token' },
        'attacker',
      );
      await svc().storeSecret(
        em,
        { ownerType: 'y', ownerId: ownerA, field: 'refresh_token' },
        'attacker',
      );
    });
    const stolen = await ciphertextOf(idA);
    await m.dataSource.query(
      `UPDATE secrets SET ciphertext = $1 WHERE id <> $2 AND owner_id IN ($3, $4)`,
      [stolen, idA, ownerA, ownerB],
    );
    for (const ref of [
      { ownerType: 'x', ownerId: ownerB, field: 'refresh_token' },
      { ownerType: 'x', ownerId: ownerB, field: 'access_token' },
      { ownerType: 'y', ownerId: ownerA, field: 'refresh_token' },
    ]) {
      const err = await tx((em) => svc().readSecret(em, ref)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SecretBindingError);
      expect((err as Error).message).not.toContain('victim');
      expect((err as Error).message).not.toContain(stolen.slice(0, 20));
    }
    await expect(tx((em) => svc().readSecrets(em, 'x', ownerB))).rejects.toBeInstanceOf(
      SecretBindingError,
    );
    // The original row still reads.
    await expect(
      tx((em) => svc().readSecret(em, { ownerType: 'x', ownerId: ownerA, field: 'refresh_token' })),
    ).resolves.toBe('victim');
  });

  it('refuses tampered ciphertexts, unknown key ids and non-envelope plaintexts with SecretUnreadableError', async () => {
    const ref = { ownerType: 'x', ownerId: randomUUID(), field: 'a' };
    const id = await tx((em) => svc().storeSecret(em, ref, 'v'));
    const good = await ciphertextOf(id);
    const read = () => tx((em) => svc().readSecret(em, ref)).catch((e: unknown) => e);

    const bytes = Buffer.from(good, 'base64url');
    bytes[40] ^= 1;
    await m.dataSource.query(`UPDATE secrets SET ciphertext = $1 WHERE id = $2`, [
      encode(bytes),
      id,
    ]);
    expect(await read()).toBeInstanceOf(SecretUnreadableError);

    await m.dataSource.query(`UPDATE secrets SET ciphertext = $1 WHERE id = $2`, [
      'not a token',
      id,
    ]);
    expect(await read()).toBeInstanceOf(SecretUnreadableError);

    await m.dataSource.query(
      `UPDATE secrets SET ciphertext = $1, key_id = 'k_deadbeef' WHERE id = $2`,
      [good, id],
    );
    const unknown = await read();
    expect(unknown).toBeInstanceOf(SecretUnreadableError);
    expect((unknown as Error).message).toContain('k_deadbeef');

    for (const plain of [
      'not json',
      '{"v":2,"value":"x"}',
      'null',
      JSON.stringify({ v: 1, id, value: 5 }),
    ]) {
      await m.dataSource.query(`UPDATE secrets SET ciphertext = $1, key_id = $2 WHERE id = $3`, [
        new Fernet(PRIMARY).encrypt(plain),
        keyIdOf(PRIMARY),
        id,
      ]);
      expect(await read()).toBeInstanceOf(SecretUnreadableError);
    }
  });

  it('retries once when a concurrent transaction inserted the same secret first, then gives up', async () => {
    const ref = { ownerType: 'x', ownerId: randomUUID(), field: 'a' };
    let rivalId = '';
    class RivalFirst extends SecretRepository {
      override async insertIfAbsent(
        ...args: Parameters<SecretRepository['insertIfAbsent']>
      ): Promise<boolean> {
        if (!rivalId) {
          // Another transaction's row lands between our lock attempt and our insert.
          rivalId = randomUUID();
          await super.insertIfAbsent(
            args[0],
            { ...args[1], id: rivalId, ciphertext: 'rival' as Ciphertext },
            args[2],
          );
        }
        return super.insertIfAbsent(...args);
      }
    }
    const racing = new EncryptionService(m.get(KeyRing), new RivalFirst(m.dataSource), clock);
    const id = await tx((em) => racing.storeSecret(em, ref, 'mine'));
    expect(id).toBe(rivalId);
    await expect(tx((em) => svc().readSecret(em, ref))).resolves.toBe('mine');

    class AlwaysLosing extends SecretRepository {
      override async lockIdOf(): Promise<string | null> {
        return null;
      }
      override async insertIfAbsent(): Promise<boolean> {
        return false;
      }
    }
    const losing = new EncryptionService(m.get(KeyRing), new AlwaysLosing(m.dataSource), clock);
    await expect(tx((em) => losing.storeSecret(em, ref, 'v'))).rejects.toThrow(/kept changing/);
  });

  it('validates references before touching the database', async () => {
    const em = m.dataSource.manager;
    await expect(
      svc().storeSecret(em, { ownerType: 'x', ownerId: 'not-a-uuid', field: 'a' }, 'v'),
    ).rejects.toThrow(TypeError);
    await expect(
      svc().storeSecret(em, { ownerType: '', ownerId: randomUUID(), field: 'a' }, 'v'),
    ).rejects.toThrow(TypeError);
    await expect(
      svc().storeSecret(em, { ownerType: 'x', ownerId: randomUUID(), field: '' }, 'v'),
    ).rejects.toThrow(TypeError);
    await expect(
      svc().storeSecret(
        em,
        { ownerType: 'x', ownerId: randomUUID(), field: 'a' },
        5 as unknown as string,
      ),
    ).rejects.toThrow(TypeError);
  });

  it('counts secrets per key: every configured key (zero included) and unknown key ids', async () => {
    const repo = m.get<SecretRepository>(SecretRepository);
    const old = new EncryptionService(new KeyRing([OLD]), repo, clock);
    await tx(async (em) => {
      await svc().storeSecret(em, { ownerType: 'c', ownerId: randomUUID(), field: 'a' }, '1');
      await svc().storeSecret(em, { ownerType: 'c', ownerId: randomUUID(), field: 'a' }, '2');
      await old.storeSecret(em, { ownerType: 'c', ownerId: randomUUID(), field: 'a' }, '3');
      await repo.insertIfAbsent(
        em,
        {
          id: randomUUID(),
          ownerType: 'c',
          ownerId: randomUUID(),
          field: 'a',
          keyId: 'k_00000000',
          ciphertext: 'x' as Ciphertext,
        },
        clock.now(),
      );
    });
    const counts = await svc().countByKey(m.dataSource.manager);
    expect(counts).toEqual([
      { keyId: keyIdOf(PRIMARY), count: 2, primary: true, known: true },
      { keyId: keyIdOf(OLD), count: 1, primary: false, known: true },
      { keyId: 'k_00000000', count: 1, primary: false, known: false },
    ]);
  });

  it('makes storing a plain string where a Ciphertext belongs a compile error', () => {
    // @ts-expect-error a string is not a Ciphertext
    const c: Ciphertext = 'plaintext';
    expect(c).toBe('plaintext');
  });
});

function encode(bytes: Buffer): string {
  const s = bytes.toString('base64url');
  return s + '='.repeat((4 - (s.length % 4)) % 4);
}

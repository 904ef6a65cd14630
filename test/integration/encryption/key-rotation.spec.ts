import { randomUUID } from 'node:crypto';
import { Clock, FakeClock } from '../../../src/common/clock';
import type { CliContext, CliIo } from '../../../src/common/cli/cli-command';
import { Transactions } from '../../../src/database/transactions';
import {
  EncryptionRotateCommand,
  EncryptionStatusCommand,
  GenerateKeyCommand,
} from '../../../src/modules/encryption/encryption.commands';
import { EncryptionModule } from '../../../src/modules/encryption/encryption.module';
import { EncryptionService, SecretRef } from '../../../src/modules/encryption/encryption.service';
import { Fernet, generateKey } from '../../../src/modules/encryption/fernet';
import { KeyRing, keyIdOf } from '../../../src/modules/encryption/key-ring';
import {
  KeyRotationService,
  RotationProgress,
} from '../../../src/modules/encryption/key-rotation.service';
import type { Ciphertext } from '../../../src/modules/encryption/secret.entity';
import { SecretRepository, SecretSwap } from '../../../src/modules/encryption/secret.repository';
import { useTestModule } from '../../harness';

const NEW = generateKey();
const OLD = generateKey();
const OLDER = generateKey();
const clock = new FakeClock('2026-03-01T12:00:00Z');

class CapturedIo implements CliIo {
  readonly lines: string[] = [];
  readonly errors: string[] = [];
  readonly rewrites: string[] = [];
  constructor(readonly isTTY = false) {}
  out(line: string) {
    this.lines.push(line);
  }
  err(line: string) {
    this.errors.push(line);
  }
  rewrite(line: string) {
    this.rewrites.push(line);
  }
}

const ctx = (io: CliIo, values: CliContext['values'] = {}): CliContext => ({
  values,
  positionals: [],
  io,
});

describe('KeyRotationService (isolated)', () => {
  const m = useTestModule({
    imports: [EncryptionModule],
    env: { ENCRYPTION_KEYS: `${NEW},${OLD},${OLDER}` },
    overrides: [{ provide: Clock, useValue: clock }],
  });
  const repo = () => m.get<SecretRepository>(SecretRepository);
  const svc = () => m.get<EncryptionService>(EncryptionService);
  const rotation = () => m.get<KeyRotationService>(KeyRotationService);
  const run = <T>(work: (tx: import('../../../src/database/transactions').Tx) => Promise<T>) =>
    m.get<Transactions>(Transactions).run(work);

  /** Stores `n` secrets under `key` (not the primary) and returns their references and values. */
  async function seed(
    key: string,
    n: number,
    ownerType = 'seed',
  ): Promise<Array<{ ref: SecretRef; value: string }>> {
    const service = new EncryptionService(new KeyRing([key]), repo(), clock);
    const out: Array<{ ref: SecretRef; value: string }> = [];
    await run(async (tx) => {
      for (let i = 0; i < n; i++) {
        const ref = {
          ownerType,
          ownerId: randomUUID(),
          field: i % 2 ? 'access_token' : 'refresh_token',
        };
        const value = `value-${i}-${randomUUID()}`;
        await service.storeSecret(tx.manager, ref, value);
        out.push({ ref, value });
      }
    });
    return out;
  }

  async function expectAllReadable(items: Array<{ ref: SecretRef; value: string }>): Promise<void> {
    await run(async (tx) => {
      for (const { ref, value } of items)
        expect(await svc().readSecret(tx.manager, ref)).toBe(value);
    });
  }

  const keyIds = async () =>
    Object.fromEntries(
      (await svc().countByKey(m.dataSource.manager)).map((k) => [k.keyId, k.count]),
    );

  it('re-encrypts everything under the primary key in batches, keeping values, timestamps and bindings', async () => {
    const items = [...(await seed(OLD, 23)), ...(await seed(OLDER, 4))];
    await run(async (tx) =>
      svc().storeSecret(
        tx.manager,
        { ownerType: 'seed', ownerId: randomUUID(), field: 'f' },
        'already new',
      ),
    );
    const before = new Map<string, string>(
      (await m.dataSource.query(`SELECT id, ciphertext FROM secrets`)).map(
        (r: { id: string; ciphertext: string }) => [r.id, r.ciphertext],
      ),
    );
    clock.advance(3_600_000);
    const progress: RotationProgress[] = [];
    const report = await rotation().rotate({ batchSize: 5, onProgress: (p) => progress.push(p) });

    expect(report).toMatchObject({
      dryRun: false,
      total: 27,
      rotated: 27,
      conflicts: 0,
      failed: 0,
      remaining: 0,
      passes: 1,
      failedIds: [],
    });
    expect(report.primaryKeyId).toBe(keyIdOf(NEW));
    expect(progress.map((p) => p.rotated)).toEqual([5, 10, 15, 20, 25, 27]);
    expect(report.before.map((k) => k.count)).toEqual([1, 23, 4]);
    expect(report.after.map((k) => k.count)).toEqual([28, 0, 0]);
    expect(await keyIds()).toEqual({ [keyIdOf(NEW)]: 28, [keyIdOf(OLD)]: 0, [keyIdOf(OLDER)]: 0 });

    const rows: Array<{ id: string; ciphertext: string; updated_at: Date }> =
      await m.dataSource.query(`SELECT id, ciphertext, updated_at FROM secrets`);
    let untouched = 0;
    for (const row of rows) {
      const old = before.get(row.id)!;
      if (old === row.ciphertext) {
        untouched++; // the one already under NEW
        expect(new Fernet(NEW).decrypt(old).length).toBeGreaterThan(0);
        continue;
      }
      expect(row.ciphertext).not.toBe(old);
      // MultiFernet.rotate semantics: the original timestamp survives; the plaintext (envelope) is identical.
      expect(Buffer.from(row.ciphertext, 'base64url').readBigUInt64BE(1)).toBe(
        Buffer.from(old, 'base64url').readBigUInt64BE(1),
      );
      expect(new Fernet(NEW).decrypt(row.ciphertext)).toEqual(
        new KeyRing([OLD, OLDER]).multi.decrypt(old),
      );
      expect(row.updated_at.toISOString()).toBe('2026-03-01T13:00:00.000Z');
    }
    expect(untouched).toBe(1);
    await expectAllReadable(items);
    // Nothing left: a second run is a no-op.
    expect(await rotation().rotate()).toMatchObject({ total: 0, rotated: 0, remaining: 0 });
  });

  it('dry run counts and writes nothing', async () => {
    await seed(OLD, 3);
    const snapshot = await m.dataSource.query(
      `SELECT id, key_id, ciphertext FROM secrets ORDER BY id`,
    );
    const report = await rotation().rotate({ dryRun: true });
    expect(report).toMatchObject({ dryRun: true, total: 3, rotated: 0, remaining: 3, passes: 0 });
    expect(
      await m.dataSource.query(`SELECT id, key_id, ciphertext FROM secrets ORDER BY id`),
    ).toEqual(snapshot);
  });

  it('resumes after a run dies halfway: the failed batch rolls back, a new run finishes, nothing is lost', async () => {
    const items = await seed(OLD, 20);
    let calls = 0;
    class CrashingRepository extends SecretRepository {
      override async swapCiphertexts(
        ...args: Parameters<SecretRepository['swapCiphertexts']>
      ): Promise<number> {
        if (++calls === 3) throw new Error('simulated crash');
        return super.swapCiphertexts(...args);
      }
    }
    const crashing = new KeyRotationService(
      m.get(KeyRing),
      new CrashingRepository(m.dataSource),
      svc(),
      m.get(Transactions),
      clock,
    );
    await expect(crashing.rotate({ batchSize: 4 })).rejects.toThrow('simulated crash');
    expect(await keyIds()).toMatchObject({ [keyIdOf(NEW)]: 8, [keyIdOf(OLD)]: 12 });
    await expectAllReadable(items);

    const report = await rotation().rotate({ batchSize: 4 });
    expect(report).toMatchObject({ total: 12, rotated: 12, remaining: 0 });
    expect(await keyIds()).toMatchObject({ [keyIdOf(NEW)]: 20, [keyIdOf(OLD)]: 0 });
    await expectAllReadable(items);
  });

  it('leaves secrets no key opens where they are and reports their ids', async () => {
    const items = await seed(OLD, 6);
    const orphanId = randomUUID();
    const stranger = new Fernet(generateKey()).encrypt('x') as Ciphertext;
    await run((tx) =>
      repo().insertIfAbsent(
        tx.manager,
        {
          id: orphanId,
          ownerType: 'seed',
          ownerId: randomUUID(),
          field: 'f',
          keyId: 'k_ffffffff',
          ciphertext: stranger,
        },
        clock.now(),
      ),
    );
    const report = await rotation().rotate({ batchSize: 4 });
    expect(report).toMatchObject({
      total: 7,
      rotated: 6,
      failed: 1,
      remaining: 1,
      failedIds: [orphanId],
    });
    expect(report.after.find((k) => k.keyId === 'k_ffffffff')).toEqual({
      keyId: 'k_ffffffff',
      count: 1,
      primary: false,
      known: false,
    });
    await expectAllReadable(items);
    expect(
      (await m.dataSource.query(`SELECT ciphertext FROM secrets WHERE id = $1`, [orphanId]))[0]
        .ciphertext,
    ).toBe(stranger);
  });

  it('compare-and-swap: a row whose ciphertext changed since it was read is not overwritten', async () => {
    const [item] = await seed(OLD, 1);
    const [row] = await m.dataSource.query(
      `SELECT id, ciphertext FROM secrets WHERE owner_id = $1`,
      [item.ref.ownerId],
    );
    await run((tx) => svc().storeSecret(tx.manager, item.ref, 'fresh value from a token refresh'));
    const stale: SecretSwap = {
      id: row.id,
      expected: row.ciphertext,
      next: new KeyRing([NEW, OLD]).multi.rotate(row.ciphertext) as Ciphertext,
    };
    await expect(
      run((tx) => repo().swapCiphertexts(tx.manager, keyIdOf(NEW), [stale], clock.now())),
    ).resolves.toBe(0);
    await expect(run((tx) => svc().readSecret(tx.manager, item.ref))).resolves.toBe(
      'fresh value from a token refresh',
    );
    await expect(
      run((tx) => repo().swapCiphertexts(tx.manager, keyIdOf(NEW), [], clock.now())),
    ).resolves.toBe(0);
  });

  it('counts a swap that lost the race as a conflict and keeps the newer write', async () => {
    const [item] = await seed(OLD, 1);
    class RacingRepository extends SecretRepository {
      override async swapCiphertexts(
        ...args: Parameters<SecretRepository['swapCiphertexts']>
      ): Promise<number> {
        // A writer that bypassed the lock changes the row between the read and the swap.
        await svc().storeSecret(args[0], item.ref, 'written meanwhile');
        return super.swapCiphertexts(...args);
      }
    }
    const racing = new KeyRotationService(
      m.get(KeyRing),
      new RacingRepository(m.dataSource),
      svc(),
      m.get(Transactions),
      clock,
    );
    const report = await racing.rotate();
    expect(report).toMatchObject({ rotated: 0, conflicts: 1, remaining: 0 });
    await expect(run((tx) => svc().readSecret(tx.manager, item.ref))).resolves.toBe(
      'written meanwhile',
    );
  });

  it('refuses a nonsensical batch size', async () => {
    await expect(rotation().rotate({ batchSize: 0 })).rejects.toThrow(RangeError);
  });

  describe('CLI commands', () => {
    it('encryption:generate-key prints a usable key on stdout and its id on stderr', async () => {
      const io = new CapturedIo();
      await expect(new GenerateKeyCommand().run(ctx(io))).resolves.toBe(0);
      expect(io.lines).toHaveLength(1);
      expect(() => new Fernet(io.lines[0])).not.toThrow();
      expect(io.errors.join('\n')).toContain(keyIdOf(io.lines[0]));
    });

    it('encryption:status prints the count per key id and exits 1 when a key is unknown', async () => {
      await seed(OLD, 2);
      const io = new CapturedIo();
      await expect(new EncryptionStatusCommand(svc()).run(ctx(io))).resolves.toBe(0);
      expect(io.lines.join('\n')).toMatch(new RegExp(`${keyIdOf(NEW)}\\s+primary\\s+0`));
      expect(io.lines.join('\n')).toMatch(new RegExp(`${keyIdOf(OLD)}\\s+old\\s+2`));
      expect(io.lines.join('\n')).toContain('2 secret(s) not under the primary key');
      await run((tx) =>
        repo().insertIfAbsent(
          tx.manager,
          {
            id: randomUUID(),
            ownerType: 's',
            ownerId: randomUUID(),
            field: 'f',
            keyId: 'k_12345678',
            ciphertext: 'x' as Ciphertext,
          },
          clock.now(),
        ),
      );
      const io2 = new CapturedIo();
      await expect(new EncryptionStatusCommand(svc()).run(ctx(io2))).resolves.toBe(1);
      expect(io2.lines.join('\n')).toMatch(/k_12345678\s+UNKNOWN\s+1/);
    });

    it('encryption:rotate prints plain progress lines off a terminal and a final count per key', async () => {
      await seed(OLD, 40);
      const dry = new CapturedIo();
      await expect(
        new EncryptionRotateCommand(rotation()).run(ctx(dry, { 'dry-run': true })),
      ).resolves.toBe(0);
      expect(dry.lines[0]).toBe(
        `dry run: 40 secret(s) would be re-encrypted under ${keyIdOf(NEW)}; nothing written`,
      );

      const io = new CapturedIo(false);
      await expect(
        new EncryptionRotateCommand(rotation()).run(ctx(io, { 'batch-size': '4' })),
      ).resolves.toBe(0);
      const progress = io.lines.filter((l) => l.startsWith('rotate: '));
      expect(progress.length).toBeGreaterThan(1);
      expect(progress.length).toBeLessThanOrEqual(10); // one per 5 % step (batches of 4 of 40 = 10 %), not per row
      expect(progress.at(-1)).toBe('rotate: 40/40 rotated, 0 conflicts, 0 failed');
      expect(io.lines).toContain(
        `rotated 40 secret(s) to ${keyIdOf(NEW)} in 1 pass(es); 0 conflict(s), 0 failed`,
      );
      expect(io.lines.join('\n')).toMatch(new RegExp(`${keyIdOf(NEW)}\\s+primary\\s+40`));
      expect(io.rewrites).toEqual([]);
    });

    it('encryption:rotate draws a progress bar on a terminal', async () => {
      await seed(OLD, 10);
      const io = new CapturedIo(true);
      await expect(
        new EncryptionRotateCommand(rotation()).run(ctx(io, { 'batch-size': '5' })),
      ).resolves.toBe(0);
      expect(io.rewrites[0]).toMatch(/^\[#{15}-{15}\] {2}50% {2}5\/10/);
      expect(io.rewrites.at(-1)).toMatch(/^\[#{30}\] 100% {2}10\/10\n$/);
      expect(io.lines.filter((l) => l.startsWith('rotate: '))).toEqual([]);
    });

    it('encryption:rotate exits 1 and names the ids when secrets remain, 2 on a bad batch size', async () => {
      await run((tx) =>
        repo().insertIfAbsent(
          tx.manager,
          {
            id: randomUUID(),
            ownerType: 's',
            ownerId: randomUUID(),
            field: 'f',
            keyId: 'k_12345678',
            ciphertext: 'x' as Ciphertext,
          },
          clock.now(),
        ),
      );
      const io = new CapturedIo();
      await expect(new EncryptionRotateCommand(rotation()).run(ctx(io))).resolves.toBe(1);
      expect(io.errors.join('\n')).toMatch(/unreadable secret ids/);
      expect(io.errors.join('\n')).toMatch(/1 secret\(s\) remain under other keys/);
      for (const bad of ['0', '-3', 'abc', '1.5', '100001']) {
        const e = new CapturedIo();
        await expect(
          new EncryptionRotateCommand(rotation()).run(ctx(e, { 'batch-size': bad })),
        ).resolves.toBe(2);
        expect(e.errors[0]).toMatch(/--batch-size/);
      }
    });
  });
});

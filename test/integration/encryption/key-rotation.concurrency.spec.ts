import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { FakeClock } from '../../../src/common/clock';
import { AfterCommitDispatcher, Transactions } from '../../../src/database/transactions';
import { EncryptionService, SecretRef } from '../../../src/modules/encryption/encryption.service';
import { generateKey } from '../../../src/modules/encryption/fernet';
import { KeyRing, keyIdOf } from '../../../src/modules/encryption/key-ring';
import { KeyRotationService } from '../../../src/modules/encryption/key-rotation.service';
import { SecretRepository } from '../../../src/modules/encryption/secret.repository';
import { describeRealCommit } from '../../harness';

const NEW = generateKey();
const OLD = generateKey();
const clock = new FakeClock('2026-03-01T12:00:00Z');

/** The module's providers wired by hand on a real pool (no savepoints: every transaction really commits). */
function wire(ds: DataSource, keys: string[], repo = new SecretRepository(ds)) {
  const ring = new KeyRing(keys);
  const transactions = new Transactions(ds, new AfterCommitDispatcher());
  const encryption = new EncryptionService(ring, repo, clock);
  return {
    encryption,
    transactions,
    rotation: new KeyRotationService(ring, repo, encryption, transactions, clock),
  };
}

/** Resolves once `n` backends of this database wait on a row lock (a condition, not a fixed sleep). */
async function untilLockWaiters(ds: DataSource, n: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const [{ count }] = await ds.query(
      `SELECT count(*)::int AS count FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    if (count >= n) return;
    if (Date.now() > deadline) throw new Error(`expected ${n} backend(s) waiting on a lock`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describeRealCommit('key rotation with a concurrent writer (real commits)', (db) => {
  let items: Array<{ ref: SecretRef; value: string }>;

  beforeEach(async () => {
    await db.dataSource.query(`DELETE FROM secrets`);
    const old = wire(db.dataSource, [OLD]);
    items = [];
    await old.transactions.run(async (tx) => {
      for (let i = 0; i < 30; i++) {
        const ref = { ownerType: 'provider_token', ownerId: randomUUID(), field: 'refresh_token' };
        const value = `refresh-${i}`;
        await old.encryption.storeSecret(tx.manager, ref, value);
        items.push({ ref, value });
      }
    });
  });

  async function expectFinalState(expected: Map<string, string>): Promise<void> {
    const { encryption, transactions } = wire(db.dataSource, [NEW, OLD]);
    await transactions.run(async (tx) => {
      for (const { ref, value } of items)
        expect(await encryption.readSecret(tx.manager, ref)).toBe(
          expected.get(ref.ownerId) ?? value,
        );
    });
    const counts = await encryption.countByKey();
    expect(counts.map((k) => [k.keyId, k.count])).toEqual([
      [keyIdOf(NEW), 30],
      [keyIdOf(OLD), 0],
    ]);
  }

  it('a token refresh holding the row: rotation skips it, the refresh commits, nothing is lost', async () => {
    const target = items[7].ref;
    const writer = wire(db.dataSource, [NEW, OLD]);
    const writerHolds = deferred();
    const finishWriter = deferred();
    const writing = writer.transactions.run(async (tx) => {
      await writer.encryption.storeSecret(tx.manager, target, 'refreshed while rotating');
      writerHolds.resolve();
      await finishWriter.promise; // keep the row locked, uncommitted
    });
    await writerHolds.promise;

    const report = await wire(db.dataSource, [NEW, OLD]).rotation.rotate({ batchSize: 4 });
    // The locked row was skipped (SKIP LOCKED), not waited on; its committed state is still under OLD.
    expect(report).toMatchObject({ rotated: 29, conflicts: 0, failed: 0, remaining: 1, passes: 2 });

    finishWriter.resolve();
    await writing;
    await expectFinalState(new Map([[target.ownerId, 'refreshed while rotating']]));
  });

  it('rotation holding the row: the refresh waits for the batch, then its write wins', async () => {
    const target = items[0].ref;
    const batchLocked = deferred();
    const releaseBatch = deferred();
    let gated = false;
    class GatedRepository extends SecretRepository {
      override async swapCiphertexts(
        ...args: Parameters<SecretRepository['swapCiphertexts']>
      ): Promise<number> {
        if (!gated) {
          gated = true; // the first batch (which holds every row: batch size 100) pauses with its locks held
          batchLocked.resolve();
          await releaseBatch.promise;
        }
        return super.swapCiphertexts(...args);
      }
    }
    const rotator = wire(db.dataSource, [NEW, OLD], new GatedRepository(db.dataSource));
    const rotating = rotator.rotation.rotate({ batchSize: 100 });
    await batchLocked.promise;

    const writer = wire(db.dataSource, [NEW, OLD]);
    const writing = writer.transactions.run((tx) =>
      writer.encryption.storeSecret(tx.manager, target, 'refreshed after the batch'),
    );
    await untilLockWaiters(db.dataSource, 1); // the refresh is blocked on the batch's row lock
    releaseBatch.resolve();

    const report = await rotating;
    await writing;
    expect(report).toMatchObject({ rotated: 30, conflicts: 0, remaining: 0 });
    await expectFinalState(new Map([[target.ownerId, 'refreshed after the batch']]));
  });

  it('two rotations at once (e.g. started twice) share the work without double-processing', async () => {
    const a = wire(db.dataSource, [NEW, OLD]).rotation.rotate({ batchSize: 3 });
    const b = wire(db.dataSource, [NEW, OLD]).rotation.rotate({ batchSize: 3 });
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra.rotated + rb.rotated).toBe(30);
    expect(ra.conflicts + rb.conflicts).toBe(0);
    await expectFinalState(new Map());
  });
});

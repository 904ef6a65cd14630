import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Transactions } from '../../../src/database/transactions';
import { SyncScheduleRepository } from '../../../src/modules/sync/sync-schedule.repository';
import { SyncSchedulerService } from '../../../src/modules/sync/sync-scheduler.service';
import { SyncService } from '../../../src/modules/sync/sync.service';
import { createActiveConnection } from '../../factories/connection.factory';
import { describeRealCommit, RealCommitApp } from '../../harness';
import { json, SchwabStandIn } from '../../support/schwab-stand-in';

const N = 24;
const fixture = (name: string) =>
  readFileSync(join(__dirname, '../../fixtures/schwab', name), 'utf8');

describeRealCommit('financial-data sync across instances (real commits)', (db) => {
  const standIn = new SchwabStandIn((req) => {
    if (!req.token?.startsWith('at-')) return json('{}', 401);
    if (req.path.endsWith('/accountNumbers')) return json(fixture('account-numbers.json'));
    if (req.path === '/trader/v1/accounts') return json(fixture('accounts-positions.json'));
    return json(fixture('transactions.json'));
  });
  let a: RealCommitApp;
  let b: RealCommitApp;
  const ids: string[] = [];

  beforeAll(async () => {
    await standIn.start();
    const env = { SCHWAB_API_BASE_URL: standIn.url, SYNC_BATCH_SIZE: '5', SYNC_CONCURRENCY: '3' };
    a = await db.createApp({ env });
    b = await db.createApp({ env });
    for (let i = 0; i < N; i++) {
      const userId = randomUUID();
      ids.push(
        await createActiveConnection(a, {
          userId,
          providerKey: 'schwab',
          accessToken: `at-${userId}`,
        }),
      );
    }
  }, 60_000);
  afterAll(() => standIn.stop());

  it('two schedulers running at once sync every connection exactly once', async () => {
    const [ra, rb] = await Promise.all([
      a.get<SyncSchedulerService>(SyncSchedulerService).runOnce(),
      b.get<SyncSchedulerService>(SyncSchedulerService).runOnce(),
    ]);
    expect(ra.synced + rb.synced).toBe(N);
    expect(ra.claimed + rb.claimed).toBe(N);
    expect(ra.claimed).toBeGreaterThan(0);
    expect(rb.claimed).toBeGreaterThan(0);
    const perToken = new Map<string, number>();
    for (const r of standIn.requests.filter((x) => x.path.endsWith('/accountNumbers'))) {
      perToken.set(r.token!, (perToken.get(r.token!) ?? 0) + 1);
    }
    expect(perToken.size).toBe(N);
    expect([...perToken.values()].every((n) => n === 1)).toBe(true);
    const events = await db.dataSource.query(
      `SELECT connection_id, count(*)::int AS n FROM connection_events WHERE type = 'sync_completed' GROUP BY connection_id`,
    );
    expect(events).toHaveLength(N);
    expect(events.every((e: { n: number }) => e.n === 1)).toBe(true);
    const [rows] = await db.dataSource.query(
      `SELECT count(*)::int AS accounts, count(DISTINCT connection_id)::int AS connections FROM brokerage_accounts`,
    );
    expect(rows).toEqual({ accounts: 2 * N, connections: N });
    // Nothing is due any more, on either instance.
    expect((await b.get<SyncSchedulerService>(SyncSchedulerService).runOnce()).claimed).toBe(0);
  }, 60_000);

  it('a connection leased by one instance is not synced by another; a lost lease writes nothing', async () => {
    await db.dataSource.query(
      `UPDATE connection_syncs SET next_sync_at = now() - interval '1 second'`,
    );
    const owner = randomUUID();
    const now = new Date();
    const [held] = await a
      .get<Transactions>(Transactions)
      .run((tx) =>
        a
          .get<SyncScheduleRepository>(SyncScheduleRepository)
          .claimDue(tx.manager, owner, now, new Date(now.getTime() + 60_000), 1),
      );
    const rb = await b.get<SyncSchedulerService>(SyncSchedulerService).runOnce();
    expect(rb).toMatchObject({ claimed: N - 1, synced: N - 1 });
    const completed = async () =>
      (
        await db.dataSource.query(
          `SELECT count(*)::int AS n FROM connection_events WHERE connection_id = $1 AND type = 'sync_completed'`,
          [held],
        )
      )[0].n;
    expect(await completed()).toBe(1);
    // An instance whose lease lapsed and was taken over must not write its (stale) result.
    expect(await b.get<SyncService>(SyncService).syncLeased(held, randomUUID())).toEqual({
      result: 'skipped',
      code: 'lease_lost',
    });
    expect(await completed()).toBe(1);
    expect(await a.get<SyncService>(SyncService).syncLeased(held, owner)).toMatchObject({
      result: 'synced',
      transactionsAdded: 0,
    });
    expect(await completed()).toBe(2);
  }, 60_000);
});

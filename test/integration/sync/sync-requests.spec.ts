import { randomUUID } from 'node:crypto';
import { Transactions } from '../../../src/database/transactions';
import { ConnectionsErrorCode } from '../../../src/modules/connections';
import { SyncRequestsService } from '../../../src/modules/sync/sync-requests.service';
import { SyncScheduleRepository } from '../../../src/modules/sync/sync-schedule.repository';
import { SyncError, SyncErrorCode } from '../../../src/modules/sync/sync.errors';
import { ACCOUNT_SECRET_OWNER, SyncService } from '../../../src/modules/sync/sync.service';
import { useSyncKit } from './sync-kit';

const { m, clock, fake, q, scheduler, connection, counts, conn } = useSyncKit();

describe('sync requests, claims and the scheduler', () => {
  it('on demand: queued, then 429 with retry-after inside the minimum interval; 409 when not active; 404 for others', async () => {
    const id = await connection();
    const requests = m.get<SyncRequestsService>(SyncRequestsService);
    const [{ user_id: owner }] = await q<{ user_id: string }>(
      `SELECT user_id FROM provider_connections WHERE id = $1`,
      [id],
    );
    expect(await requests.request(owner, id)).toEqual({ status: 'queued' });
    expect((await conn(id)).sync_status).toBe('queued');
    const tooSoon = await requests.request(owner, id).catch((e: unknown) => e);
    expect(tooSoon).toBeInstanceOf(SyncError);
    expect(tooSoon).toMatchObject({
      code: SyncErrorCode.SYNC_TOO_SOON,
      details: { retryAfterSeconds: 300 },
    });
    await scheduler().runOnce();
    clock.advance(4 * 60_000);
    await expect(requests.request(owner, id)).rejects.toMatchObject({
      details: { retryAfterSeconds: 60 },
    });
    clock.advance(60_000);
    expect(await requests.request(owner, id)).toEqual({ status: 'queued' });
    await expect(requests.request(randomUUID(), id)).rejects.toMatchObject({
      code: ConnectionsErrorCode.NOT_FOUND,
    });
    const pending = await connection('pending_auth');
    const [{ user_id: u2 }] = await q<{ user_id: string }>(
      `SELECT user_id FROM provider_connections WHERE id = $1`,
      [pending],
    );
    await expect(requests.request(u2, pending)).rejects.toMatchObject({
      code: SyncErrorCode.CONNECTION_NOT_ACTIVE,
    });
  });

  it('disconnection deletes the connection’s financial data and account secrets at once', async () => {
    const id = await connection();
    await scheduler().runOnce();
    await q(`UPDATE provider_connections SET status = 'disconnected' WHERE id = $1`, [id]);
    expect(await counts(id)).toEqual({ accounts: 0, positions: 0, txs: 0, balances: 0 });
    expect(await q(`SELECT 1 FROM secrets WHERE owner_type = $1`, [ACCOUNT_SECRET_OWNER])).toEqual(
      [],
    );
    expect(await q(`SELECT 1 FROM connection_syncs WHERE connection_id = $1`, [id])).toEqual([]);
  });

  it('answers "running" while a claim holds the connection; a claim on a connection gone unsyncable is given back', async () => {
    const id = await connection();
    const [{ user_id: owner }] = await q<{ user_id: string }>(
      `SELECT user_id FROM provider_connections WHERE id = $1`,
      [id],
    );
    const schedule = m.get<SyncScheduleRepository>(SyncScheduleRepository);
    const lease = randomUUID();
    const now = clock.now();
    await m.get<Transactions>(Transactions).run(async (tx) => {
      await schedule.ensureScheduled(tx.manager, now);
      expect(
        await schedule.claimDue(tx.manager, lease, now, new Date(now.getTime() + 60_000), 10),
      ).toEqual([id]);
    });
    expect(await m.get<SyncRequestsService>(SyncRequestsService).request(owner, id)).toEqual({
      status: 'running',
    });
    await q(`UPDATE provider_connections SET status = 'reauth_required' WHERE id = $1`, [id]);
    expect(await m.get<SyncService>(SyncService).syncLeased(id, lease)).toEqual({
      result: 'skipped',
      code: 'not_syncable',
    });
    expect(
      await q(`SELECT lease_owner FROM connection_syncs WHERE connection_id = $1`, [id]),
    ).toEqual([{ lease_owner: null }]);
    expect(fake.calls).toEqual([]);
  });

  it('a tick during a pass runs one more pass after it instead of a second one alongside', async () => {
    const s = scheduler();
    let release!: () => void;
    const first = new Promise<void>((resolve) => (release = resolve));
    const spy = jest
      .spyOn(s, 'runOnce')
      .mockImplementationOnce(async () => {
        await first;
        return { claimed: 0, synced: 0, failed: 0, skipped: 0 };
      })
      .mockResolvedValue({ claimed: 1, synced: 1, failed: 0, skipped: 0 });
    try {
      const a = s.tick();
      const b = s.tick();
      await b;
      expect(spy).toHaveBeenCalledTimes(1);
      release();
      await a;
      expect(spy).toHaveBeenCalledTimes(2);
      s.nudge(); // the scheduler is off under NODE_ENV=test: nothing is started
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      spy.mockRestore();
    }
  });
});

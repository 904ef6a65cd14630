import { randomUUID } from 'node:crypto';
import { Clock, FakeClock } from '../../../src/common/clock';
import { Transactions } from '../../../src/database/transactions';
import { AuditModule } from '../../../src/modules/audit/audit.module';
import {
  BROKERAGE_DATA_ADAPTERS,
  BrokerageError,
} from '../../../src/modules/brokerages/brokerage-data.adapter';
import { EncryptionService } from '../../../src/modules/encryption/encryption.service';
import { RANDOM } from '../../../src/modules/tokens/backoff';
import { TokensService } from '../../../src/modules/tokens/tokens.service';
import { SyncRequestsService } from '../../../src/modules/sync/sync-requests.service';
import { SyncScheduleRepository } from '../../../src/modules/sync/sync-schedule.repository';
import { SyncSchedulerService } from '../../../src/modules/sync/sync-scheduler.service';
import { ACCOUNT_SECRET_OWNER, SyncService } from '../../../src/modules/sync/sync.service';
import { SyncModule } from '../../../src/modules/sync/sync.module';
import { SyncError, SyncErrorCode } from '../../../src/modules/sync/sync.errors';
import { useTestModule } from '../../harness';
import { fakeAccount, FakeDataAdapter, fakeTransaction } from './fake-data-adapter';

const HOUR = 3_600_000;
const T0 = '2026-05-01T12:00:00.000Z';
const clock = new FakeClock(T0);
const fake = new FakeDataAdapter();

const m = useTestModule({
  imports: [AuditModule, SyncModule],
  overrides: [
    { provide: Clock, useValue: clock },
    { provide: BROKERAGE_DATA_ADAPTERS, useValue: new Map([['fake', fake]]) },
    { provide: RANDOM, useValue: () => 0.5 },
  ],
  env: { SYNC_HISTORY_DAYS: '30', SYNC_OVERLAP_DAYS: '3', SYNC_BACKOFF_BASE_MS: '60000' },
});

const q = <T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> =>
  m.dataSource.query<T[]>(sql, params);
const scheduler = () => m.get<SyncSchedulerService>(SyncSchedulerService);

async function connection(status = 'active'): Promise<string> {
  const id = randomUUID();
  const now = clock.now();
  await m.get<Transactions>(Transactions).run(async (tx) => {
    await tx.manager.query(
      `INSERT INTO provider_connections (id, user_id, provider_key, status, created_at, updated_at) VALUES ($1, $2, 'fake', $3, $4, $4)`,
      [id, randomUUID(), status, now],
    );
    await m
      .get<TokensService>(TokensService)
      .storeFromExchange(
        tx.manager,
        { id, userId: randomUUID(), providerKey: 'fake', status: 'active' },
        { accessToken: `at-${id}`, refreshToken: 'rt', expiresIn: 7 * 24 * 3600 },
      );
  });
  return id;
}

const counts = async (connectionId: string) =>
  (
    await q<{ accounts: number; positions: number; txs: number; balances: number }>(
      `SELECT (SELECT count(*)::int FROM brokerage_accounts WHERE connection_id = $1) AS accounts,
         (SELECT count(*)::int FROM account_positions p JOIN brokerage_accounts a ON a.id = p.account_id WHERE a.connection_id = $1) AS positions,
         (SELECT count(*)::int FROM account_transactions t JOIN brokerage_accounts a ON a.id = t.account_id WHERE a.connection_id = $1) AS txs,
         (SELECT count(*)::int FROM account_balances b JOIN brokerage_accounts a ON a.id = b.account_id WHERE a.connection_id = $1) AS balances`,
      [connectionId],
    )
  )[0];

const conn = async (id: string) =>
  (
    await q(
      `SELECT status, status_reason, sync_status, sync_status_reason, last_synced_at FROM provider_connections WHERE id = $1`,
      [id],
    )
  )[0];
const events = async (id: string) =>
  (
    await q<{ type: string; data: Record<string, unknown> }>(
      `SELECT type, data FROM connection_events WHERE connection_id = $1 ORDER BY created_at`,
      [id],
    )
  ).filter((e) => !e.type.startsWith('token_'));

beforeEach(() => {
  clock.set(T0);
  const a1 = fakeAccount(1);
  a1.transactions = [
    fakeTransaction('t1', '2026-04-10', '-1234.56'),
    fakeTransaction('t2', '2026-04-28', '0.01', { type: 'dividend', quantity: null, price: null }),
  ];
  const a2 = fakeAccount(2, {
    cash: '12345678901234567890.12345678',
    total: '12345678901234567890.12345678',
    marketValue: '0',
  });
  fake.accounts = [a1, a2];
  fake.calls = [];
  fake.failAt = undefined;
});

describe('sync', () => {
  it('first sync stores accounts, positions, transactions and a balance point, exactly, in one go', async () => {
    const id = await connection();
    expect(await scheduler().runOnce()).toMatchObject({ claimed: 1, synced: 1 });
    expect(await counts(id)).toEqual({ accounts: 2, positions: 4, txs: 2, balances: 2 });
    const [big] = await q<{ cash: string; number_last4: string }>(
      `SELECT cash::text, number_last4 FROM brokerage_accounts WHERE external_id = 'acct-2'`,
    );
    expect(big).toEqual({ cash: '12345678901234567890.12345678', number_last4: '0002' });
    const [qty] = await q<{ quantity: string }>(
      `SELECT quantity::text FROM account_positions WHERE symbol = 'AAPL' LIMIT 1`,
    );
    expect(qty.quantity).toBe('10.12345678');
    // The brokerage's account handle is a secret: encrypted, bound to the account row, never in plain text.
    const [acct] = await q<{ id: string }>(
      `SELECT id FROM brokerage_accounts WHERE external_id = 'acct-1' AND connection_id = $1`,
      [id],
    );
    const secret = await m
      .get<EncryptionService>(EncryptionService)
      .readSecret(m.dataSource.manager, {
        ownerType: ACCOUNT_SECRET_OWNER,
        ownerId: acct.id,
        field: 'api_handle',
      });
    expect(secret).toBe('HASH-VALUE-1-SECRET');
    expect(await q(`SELECT 1 FROM secrets WHERE ciphertext LIKE '%HASH-VALUE%'`)).toEqual([]);
    // History window on the first sync; the token came through the tokens module.
    expect(fake.calls.find((c) => c.op === 'getTransactions')).toMatchObject({
      from: '2026-04-02',
      to: '2026-05-01',
      token: `at-${id}`,
    });
    expect(await conn(id)).toMatchObject({
      status: 'active',
      sync_status: 'idle',
      sync_status_reason: null,
      last_synced_at: new Date(T0),
    });
    expect((await events(id)).map((e) => e.type)).toEqual(['sync_completed']);
    expect((await events(id))[0].data).toEqual({
      accounts: 2,
      closed: 0,
      positions: 4,
      transactionsAdded: 2,
    });
  });

  it('a re-sync is idempotent; later syncs re-read from the last transaction minus the overlap', async () => {
    const id = await connection();
    await scheduler().runOnce();
    expect(await scheduler().runOnce()).toMatchObject({ claimed: 0 }); // not due for an hour
    clock.set(new Date(Date.parse(T0) + HOUR));
    fake.calls = [];
    fake.accounts[0].transactions.push(fakeTransaction('t3', '2026-05-01', '99.99'));
    fake.accounts[0].positions[0].marketValue = '1600.00';
    expect(await scheduler().runOnce()).toMatchObject({ synced: 1 });
    expect(await counts(id)).toEqual({ accounts: 2, positions: 4, txs: 3, balances: 4 });
    expect(
      fake.calls.filter((c) => c.op === 'getTransactions').map((c) => [c.externalId, c.from]),
    ).toEqual([
      ['acct-1', '2026-04-25'],
      ['acct-2', '2026-04-02'],
    ]);
    const [p] = await q<{ mv: string }>(
      `SELECT market_value::text AS mv FROM account_positions WHERE symbol = 'AAPL' ORDER BY market_value DESC LIMIT 1`,
    );
    expect(p.mv).toBe('1600.00000000');
    expect((await events(id)).at(-1)!.data).toMatchObject({ transactionsAdded: 1 });
  });

  it('an account the brokerage stops returning is closed, not deleted, and reopens when it returns', async () => {
    const id = await connection();
    await scheduler().runOnce();
    const second = fake.accounts.pop()!;
    clock.set(new Date(Date.parse(T0) + HOUR));
    await scheduler().runOnce();
    expect(
      await q(
        `SELECT external_id, status FROM brokerage_accounts WHERE connection_id = $1 ORDER BY external_id`,
        [id],
      ),
    ).toEqual([
      { external_id: 'acct-1', status: 'open' },
      { external_id: 'acct-2', status: 'closed' },
    ]);
    fake.accounts.push(second);
    clock.set(new Date(Date.parse(T0) + 2 * HOUR));
    await scheduler().runOnce();
    expect(
      await q(
        `SELECT status, closed_at FROM brokerage_accounts WHERE connection_id = $1 AND external_id = 'acct-2'`,
        [id],
      ),
    ).toEqual([{ status: 'open', closed_at: null }]);
  });

  it('a failure mid-sync leaves the previous data intact and degrades the connection; success heals it', async () => {
    const id = await connection();
    await scheduler().runOnce();
    const before = await counts(id);
    clock.set(new Date(Date.parse(T0) + HOUR));
    fake.accounts[0].transactions.push(fakeTransaction('t9', '2026-05-01'));
    fake.failAt = {
      op: 'getTransactions',
      externalId: 'acct-2',
      error: new BrokerageError('temporary', 'brokerage_error', 502),
    };
    expect(await scheduler().runOnce()).toMatchObject({ failed: 1 });
    expect(await counts(id)).toEqual(before);
    expect(await conn(id)).toMatchObject({
      status: 'degraded',
      status_reason: 'brokerage_error',
      sync_status: 'failed',
      sync_status_reason: 'brokerage_error',
    });
    const [sched] = await q<{ next_sync_at: Date; failure_count: number }>(
      `SELECT next_sync_at, failure_count FROM connection_syncs WHERE connection_id = $1`,
      [id],
    );
    expect(sched.failure_count).toBe(1);
    expect(sched.next_sync_at.getTime()).toBe(clock.now().getTime() + 45_000); // backoff: base 60 s, equal jitter at 0.5
    fake.failAt = undefined;
    clock.advance(60_000);
    expect(await scheduler().runOnce()).toMatchObject({ synced: 1 });
    expect(await conn(id)).toMatchObject({
      status: 'active',
      status_reason: null,
      sync_status: 'idle',
    });
    expect((await events(id)).map((e) => e.type)).toEqual([
      'sync_completed',
      'status_changed',
      'sync_failed',
      'status_changed',
      'sync_completed',
    ]);
  });

  it('a database failure in the middle of the write rolls back the whole sync', async () => {
    const id = await connection();
    const encryption = m.get<EncryptionService>(EncryptionService);
    const original = encryption.storeSecret.bind(encryption);
    let calls = 0;
    const spy = jest
      .spyOn(encryption, 'storeSecret')
      .mockImplementation(async (manager, ref, text) => {
        if (ref.ownerType === ACCOUNT_SECRET_OWNER && ++calls === 2) throw new Error('disk full');
        return original(manager, ref, text);
      });
    try {
      expect(await scheduler().runOnce()).toMatchObject({ failed: 1 });
    } finally {
      spy.mockRestore();
    }
    expect(await counts(id)).toEqual({ accounts: 0, positions: 0, txs: 0, balances: 0 });
    expect(await conn(id)).toMatchObject({
      sync_status: 'failed',
      sync_status_reason: 'invalid_data',
    });
  });

  it('a malformed payload is refused whole', async () => {
    const id = await connection();
    fake.accounts[1].transactions = [fakeTransaction('bad', '2026-04-30', '1.5e400')];
    await scheduler().runOnce();
    expect(await counts(id)).toEqual({ accounts: 0, positions: 0, txs: 0, balances: 0 });
    expect(await conn(id)).toMatchObject({
      status: 'degraded',
      sync_status_reason: 'malformed_payload',
    });
  });

  it('401 → reauth_required (no more syncs); 429 → degraded until Retry-After', async () => {
    const a = await connection();
    fake.failAt = {
      op: 'listAccounts',
      error: new BrokerageError('reauth_required', 'unauthorized', 401),
    };
    await scheduler().runOnce();
    expect(await conn(a)).toMatchObject({
      status: 'reauth_required',
      status_reason: 'unauthorized',
      sync_status: 'failed',
    });
    clock.advance(2 * HOUR);
    expect(await scheduler().runOnce()).toMatchObject({ claimed: 0 });

    const b = await connection();
    fake.failAt = {
      op: 'listAccounts',
      error: new BrokerageError('rate_limited', 'rate_limited', 429, '900'),
    };
    await scheduler().runOnce();
    const [s] = await q<{ next_sync_at: Date }>(
      `SELECT next_sync_at FROM connection_syncs WHERE connection_id = $1`,
      [b],
    );
    expect(s.next_sync_at.getTime()).toBe(clock.now().getTime() + 900_000);
    expect(await conn(b)).toMatchObject({ status: 'degraded', status_reason: 'rate_limited' });
  });

  it('a token that cannot be refreshed fails the sync without a brokerage data call', async () => {
    const id = await connection();
    await q(`UPDATE provider_tokens SET access_token_expires_at = $2 WHERE connection_id = $1`, [
      id,
      new Date(Date.parse(T0) - 1000),
    ]);
    await scheduler().runOnce();
    expect(fake.calls).toEqual([]);
    expect(await conn(id)).toMatchObject({
      sync_status: 'failed',
      sync_status_reason: 'reauth_required',
      status: 'reauth_required',
    });
  });

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
      code: SyncErrorCode.SyncTooSoon,
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
      code: SyncErrorCode.ConnectionNotFound,
    });
    const pending = await connection('pending_auth');
    const [{ user_id: u2 }] = await q<{ user_id: string }>(
      `SELECT user_id FROM provider_connections WHERE id = $1`,
      [pending],
    );
    await expect(requests.request(u2, pending)).rejects.toMatchObject({
      code: SyncErrorCode.ConnectionNotActive,
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

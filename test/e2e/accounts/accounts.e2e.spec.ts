import { Clock, FakeClock } from '../../../src/common/clock';
import { SyncSchedulerService } from '../../../src/modules/sync/sync-scheduler.service';
import { AuthenticatedUser, createAuthenticatedUser } from '../../factories/auth.factory';
import { useTestApp } from '../../harness';
import { usePublicUrl } from '../../support/public-url';
import { connectSandbox, freshAuthHeader } from './connect';

const T0 = '2026-06-15T10:20:00.000Z';
const clock = new FakeClock(T0);
const env: Record<string, string> = { ACCESS_TOKEN_TTL_SECONDS: '3600' };
const publicUrl = usePublicUrl(env);
const t = useTestApp({ env, overrides: [{ provide: Clock, useValue: clock }] });
beforeAll(() => publicUrl.serve(t.app));

let user: AuthenticatedUser;
let connectionId: string;
beforeEach(async () => {
  clock.set(T0);
  user = await createAuthenticatedUser(t, { verified: true });
  connectionId = await connectSandbox(t, user.authHeader);
});

const get = (path: string, u = user) => t.http().get(`/api/v1${path}`).set(u.authHeader);
const MONEY = /^-?\d+\.\d{2,8}$/;

async function syncNow(): Promise<void> {
  await t
    .http()
    .post(`/api/v1/providers/${connectionId}/sync`)
    .set(user.authHeader)
    .expect(202, { status: 'queued' });
  await t.get<SyncSchedulerService>(SyncSchedulerService).runOnce();
}

describe('financial data over REST (sandbox brokerage)', () => {
  it('connect → sync → accounts, positions, transactions and balances; the connection shows the sync', async () => {
    expect((await get(`/providers/${connectionId}`).expect(200)).body).toMatchObject({
      syncStatus: 'idle',
      lastSyncedAt: null,
      syncStatusReason: null,
    });
    await syncNow();
    const conn = (await get(`/providers/${connectionId}`).expect(200)).body;
    expect(conn).toMatchObject({ status: 'active', syncStatus: 'idle', lastSyncedAt: T0 });

    const accounts = (await get('/accounts').expect(200)).body;
    expect(accounts.items.length).toBeGreaterThanOrEqual(2);
    expect(accounts.nextCursor).toBeNull();
    const first = accounts.items.find((a: { type: string }) => a.type === 'individual');
    expect(first).toEqual({
      id: expect.any(String),
      connectionId,
      providerKey: 'sandbox',
      name: 'Sandbox Individual Brokerage',
      type: 'individual',
      numberMasked: expect.stringMatching(/^…\d{4}$/),
      currency: 'USD',
      status: 'open',
      balances: {
        cash: expect.stringMatching(MONEY),
        marketValue: expect.stringMatching(MONEY),
        total: expect.stringMatching(MONEY),
      },
      lastSyncedAt: T0,
    });
    expect((await get(`/accounts/${first.id}`).expect(200)).body).toEqual(first);
    // Keyset pages of one: every account once, in the same order as the single page.
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: Array<{ id: string }>; nextCursor: string | null } } = await get(
        `/accounts?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      ).expect(200);
      paged.push(...res.body.items.map((a) => a.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(paged).toEqual(accounts.items.map((a: { id: string }) => a.id));
    expect(
      (await get(`/accounts?connectionId=${connectionId}`).expect(200)).body.items,
    ).toHaveLength(accounts.items.length);

    const positions = (await get(`/accounts/${first.id}/positions`).expect(200)).body;
    expect(positions.asOf).toBe(T0);
    expect(positions.items.length).toBeGreaterThan(0);
    expect(positions.items[0]).toEqual({
      symbol: expect.any(String),
      description: expect.any(String),
      assetType: expect.stringMatching(
        /^(equity|etf|mutual_fund|option|fixed_income|cash_equivalent|other)$/,
      ),
      quantity: expect.stringMatching(/^\d+(\.\d{1,8})?$/),
      averagePrice: expect.stringMatching(MONEY),
      marketValue: expect.stringMatching(MONEY),
      currency: 'USD',
    });

    const balances = (await get(`/accounts/${first.id}/balances`).expect(200)).body;
    expect(balances.items).toEqual([{ asOf: T0, ...first.balances, currency: 'USD' }]);
  });

  it('transactions: newest first, keyset pages that cover everything once, type and date filters', async () => {
    await syncNow();
    const [account] = (await get('/accounts').expect(200)).body.items;
    const seen: Array<{ id: string; date: string; type: string }> = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: typeof seen; nextCursor: string | null } } = await get(
        `/accounts/${account.id}/transactions?limit=7${cursor ? `&cursor=${cursor}` : ''}`,
      ).expect(200);
      seen.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen.length).toBeGreaterThan(50);
    expect(new Set(seen.map((x) => x.id)).size).toBe(seen.length);
    expect(seen.map((x) => x.date)).toEqual([...seen.map((x) => x.date)].sort().reverse());
    expect(seen.map((x) => x.date).every((d) => d >= '2025-06-15' && d <= '2026-06-15')).toBe(true);
    expect(new Set(seen.map((x) => x.type))).toEqual(
      new Set(['trade', 'dividend', 'transfer', 'fee', 'interest']),
    );

    const trades = (
      await get(`/accounts/${account.id}/transactions?type=trade&limit=200`).expect(200)
    ).body.items;
    expect(trades.length).toBe(seen.filter((x) => x.type === 'trade').length);
    expect(trades[0]).toEqual({
      id: expect.any(String),
      date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      settlementDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      type: 'trade',
      description: expect.stringMatching(/^(Bought|Sold) /),
      symbol: expect.any(String),
      quantity: expect.stringMatching(/^-?\d+$/),
      price: expect.stringMatching(MONEY),
      amount: expect.stringMatching(MONEY),
      currency: 'USD',
    });
    const march = (
      await get(
        `/accounts/${account.id}/transactions?from=2026-03-01&to=2026-03-31&limit=200`,
      ).expect(200)
    ).body.items;
    expect(march.length).toBe(
      seen.filter((x) => x.date >= '2026-03-01' && x.date <= '2026-03-31').length,
    );
    expect(march.some((x: { date: string }) => x.date === '2026-03-01')).toBe(true); // inclusive
  });

  it('a re-sync adds no transactions and one balance point; prices have moved; the minimum interval answers 429', async () => {
    await syncNow();
    const [account] = (await get('/accounts').expect(200)).body.items;
    const count = async () =>
      (await get(`/accounts/${account.id}/transactions?limit=200`).expect(200)).body.items.length;
    const before = await count();
    const tooSoon = await t
      .http()
      .post(`/api/v1/providers/${connectionId}/sync`)
      .set(user.authHeader)
      .expect(429);
    expect(tooSoon.headers['retry-after']).toBe('300');
    expect(tooSoon.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(tooSoon.body).toMatchObject({ code: 'sync_too_soon', retryAfterSeconds: 300 });
    clock.advance(3 * 3_600_000);
    // A fresh bearer token at the moved clock (the first one has expired).
    user.authHeader = await freshAuthHeader(t, user);
    await syncNow();
    expect(await count()).toBe(before);
    const balances = (await get(`/accounts/${account.id}/balances`).expect(200)).body.items;
    expect(balances).toHaveLength(2);
    expect(balances[1].marketValue).not.toBe(balances[0].marketValue);
  });

  it('another user sees none of it: every account route answers 404, the sync too', async () => {
    await syncNow();
    const [account] = (await get('/accounts').expect(200)).body.items;
    const intruder = await createAuthenticatedUser(t, { verified: true });
    expect((await get('/accounts', intruder).expect(200)).body).toEqual({
      items: [],
      nextCursor: null,
    });
    expect(
      (await get(`/accounts?connectionId=${connectionId}`, intruder).expect(200)).body.items,
    ).toEqual([]);
    for (const path of ['', '/positions', '/transactions', '/balances']) {
      const res = await get(`/accounts/${account.id}${path}`, intruder).expect(404);
      expect(res.body).toMatchObject({ code: 'account_not_found' });
    }
    await t
      .http()
      .post(`/api/v1/providers/${connectionId}/sync`)
      .set(intruder.authHeader)
      .expect(404);
    await get(`/accounts/00000000-0000-4000-8000-000000000000`).expect(404);
  });

  it('bad input is a 400 problem and nothing else', async () => {
    await syncNow();
    const [account] = (await get('/accounts').expect(200)).body.items;
    const base = `/accounts/${account.id}`;
    for (const [path, code] of [
      [`${base}/transactions?from=2026-1-1`, 'validation_failed'],
      [`${base}/transactions?from=2026-13-01`, 'invalid_date_range'],
      [`${base}/transactions?from=2026-02-30`, 'invalid_date_range'],
      [`${base}/transactions?from=2026-05-02&to=2026-05-01`, 'invalid_date_range'],
      [`${base}/transactions?type=bribe`, 'validation_failed'],
      [`${base}/transactions?limit=0`, 'validation_failed'],
      [`${base}/transactions?cursor=%%%`, 'invalid_cursor'],
      [
        `${base}/transactions?cursor=${Buffer.from('2026-01-01|nope').toString('base64url')}`,
        'invalid_cursor',
      ],
      [`${base}/balances?from=2024-01-01&to=2026-01-01`, 'invalid_date_range'],
      [`${base}/transactions?to=2026-02-30`, 'invalid_date_range'],
      [`${base}/balances?to=2026-02-30`, 'invalid_date_range'],
      [`${base}/balances?from=2026-05-02&to=2026-05-01`, 'invalid_date_range'],
      [
        `/accounts?cursor=${Buffer.from('yesterday|00000000-0000-4000-8000-000000000000').toString('base64url')}`,
        'invalid_cursor',
      ],
      ['/accounts?connectionId=42', 'validation_failed'],
      ['/accounts/not-a-uuid', 'bad_request'],
    ]) {
      const res = await get(path);
      expect([path, res.status, res.body.code]).toEqual([path, 400, code]);
    }
  });

  it('a connection that is not active cannot sync (409); disconnecting removes its financial data at once', async () => {
    await syncNow();
    const pending = (
      await t
        .http()
        .post('/api/v1/providers')
        .set(user.authHeader)
        .send({ providerKey: 'sandbox' })
        .expect(201)
    ).body.id;
    const refused = await t
      .http()
      .post(`/api/v1/providers/${pending}/sync`)
      .set(user.authHeader)
      .expect(409);
    expect(refused.body).toMatchObject({
      code: 'connection_not_active',
      connectionStatus: 'pending_auth',
    });
    const [account] = (await get('/accounts').expect(200)).body.items;
    await t.http().delete(`/api/v1/providers/${connectionId}`).set(user.authHeader).expect(204);
    expect((await get('/accounts').expect(200)).body.items).toEqual([]);
    await get(`/accounts/${account.id}`).expect(404);
    await get(`/accounts/${account.id}/transactions`).expect(404);
  });
});

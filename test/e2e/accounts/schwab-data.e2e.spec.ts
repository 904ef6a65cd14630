import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Clock, FakeClock } from '../../../src/common/clock';
import { SyncSchedulerService } from '../../../src/modules/sync/sync-scheduler.service';
import { AuthenticatedUser, createAuthenticatedUser } from '../../factories/auth.factory';
import { createActiveConnection } from '../../factories/connection.factory';
import { useTestApp } from '../../harness';
import { freshAuthHeader } from './connect';
import {
  json,
  SchwabStandIn,
  StandInRequest,
  StandInResponse,
} from '../../support/schwab-stand-in';

const fixture = (name: string) =>
  readFileSync(join(__dirname, '../../fixtures/schwab', name), 'utf8');
const HASH_1 = 'E8A7B2C1D0F94E3B8A6C5D4E3F2A1B0C9D8E7F6A5B4C3D2E1F0A9B8C7D6E5F4';
const TOKEN = 'schwab-access-token-1';
const T0 = '2025-07-01T14:00:00.000Z';

/** Schwab's three endpoints from the fixtures; `override` replaces one answer (a failure, a malformed body). */
let override: ((req: StandInRequest) => StandInResponse | undefined) | undefined;
const standIn = new SchwabStandIn((req) => {
  const o = override?.(req);
  if (o) return o;
  if (req.token !== TOKEN) return json('{"message":"unauthorized"}', 401);
  if (req.path === '/trader/v1/accounts/accountNumbers')
    return json(fixture('account-numbers.json'));
  if (req.path === '/trader/v1/accounts' && req.query.fields === 'positions')
    return json(fixture('accounts-positions.json'));
  if (req.path === `/trader/v1/accounts/${HASH_1}/transactions`)
    return json(fixture('transactions.json'));
  if (/^\/trader\/v1\/accounts\/[0-9A-F]+\/transactions$/.test(req.path)) return json('[]');
  return json('{"message":"not found"}', 404);
});

const env: Record<string, string> = {};
beforeAll(async () => {
  await standIn.start();
  env.SCHWAB_API_BASE_URL = standIn.url;
});
afterAll(() => standIn.stop());

const clock = new FakeClock(T0);
const t = useTestApp({ env, overrides: [{ provide: Clock, useValue: clock }] });

let user: AuthenticatedUser;
let id: string;
beforeEach(async () => {
  clock.set(T0);
  override = undefined;
  standIn.requests.length = 0;
  user = await createAuthenticatedUser(t, { verified: true });
  id = await createActiveConnection(t, {
    userId: user.userId,
    providerKey: 'schwab',
    accessToken: TOKEN,
    expiresIn: 86_400,
    now: clock.now(),
  });
});

const get = (path: string) => t.http().get(`/api/v1${path}`).set(user.authHeader);
async function sync(): Promise<void> {
  await t.get<SyncSchedulerService>(SyncSchedulerService).runOnce();
}

describe('Schwab data through HTTP (a stand-in serving Schwab-shaped JSON)', () => {
  it('maps accounts, positions and transactions digit for digit; never keeps the account number', async () => {
    await t.http().post(`/api/v1/providers/${id}/sync`).set(user.authHeader).expect(202);
    await sync();
    const accounts = (await get('/accounts').expect(200)).body.items as Array<Record<string, any>>;
    const margin = accounts.find((a) => a.numberMasked === '…4567')!;
    expect(margin).toMatchObject({
      providerKey: 'schwab',
      type: 'margin',
      currency: 'USD',
      status: 'open',
      balances: { cash: '2210.19', marketValue: '9942.795', total: '12152.985' },
    });
    expect(accounts.find((a) => a.numberMasked === '…6543')!.balances).toEqual({
      cash: '0.01',
      marketValue: '18283.04',
      total: '18283.05',
    });

    const positions = (await get(`/accounts/${margin.id}/positions`).expect(200)).body.items;
    expect(positions.find((p: { symbol: string }) => p.symbol === 'SPY')).toEqual({
      symbol: 'SPY',
      description: 'SPDR S&P 500',
      assetType: 'etf',
      quantity: '12.5',
      averagePrice: '401.10',
      marketValue: '5437.125',
      currency: 'USD',
    });
    expect(positions.find((p: { assetType: string }) => p.assetType === 'option')).toMatchObject({
      quantity: '-2',
      marketValue: '-812.00',
    });

    const txs = (await get(`/accounts/${margin.id}/transactions`).expect(200)).body.items;
    expect(
      txs.map((x: { date: string; type: string; amount: string }) => [x.date, x.type, x.amount]),
    ).toEqual([
      ['2025-06-25', 'transfer', '-1000.00'],
      ['2025-06-20', 'trade', '1003.77'],
      ['2025-06-10', 'fee', '-0.05'],
      ['2025-06-02', 'transfer', '2500.00'],
      ['2025-05-31', 'interest', '0.37'],
      ['2025-05-15', 'dividend', '5.20'],
      ['2025-04-23', 'trade', '-3746.83'],
    ]);

    // Schwab's endpoints, as documented: the hash (never the number) in the path, one year at most per window.
    const txReq = standIn.requests.find((r) => r.path.endsWith(`${HASH_1}/transactions`))!;
    expect(txReq.query).toEqual({
      startDate: '2024-07-02T00:00:00.000Z',
      endDate: '2025-07-01T23:59:59.999Z',
      types: expect.stringContaining('TRADE,RECEIVE_AND_DELIVER,DIVIDEND_OR_INTEREST'),
    });
    expect(standIn.requests.every((r) => r.token === TOKEN)).toBe(true);
    const dump = JSON.stringify(
      await t.dataSource.query(
        `SELECT a.*, s.ciphertext FROM brokerage_accounts a LEFT JOIN secrets s ON s.owner_id = a.id`,
      ),
    );
    expect(dump).not.toMatch(/61234567|79876543/);
    expect(dump).not.toContain(HASH_1);
  });

  it.each([
    [
      '401',
      'reauth_required',
      json('{}', 401),
      { status: 'reauth_required', statusReason: 'unauthorized' },
    ],
    [
      '500',
      'degraded',
      json('<html>oops</html>', 500),
      { status: 'degraded', statusReason: 'brokerage_error' },
    ],
    [
      '429',
      'degraded',
      json('{}', 429, { 'retry-after': '120' }),
      { status: 'degraded', statusReason: 'rate_limited' },
    ],
  ])('a %s from Schwab leaves the connection %s', async (_code, _status, response, expected) => {
    override = () => response;
    await sync();
    expect((await get(`/providers/${id}`).expect(200)).body).toMatchObject({
      ...expected,
      syncStatus: 'failed',
      syncStatusReason: expected.statusReason,
    });
    const events = (await get(`/providers/${id}/events`).expect(200)).body.items.map(
      (e: { type: string }) => e.type,
    );
    expect(events).toContain('sync_failed');
  });

  it('a malformed answer mid-sync keeps the previous data exactly as it was', async () => {
    await sync();
    const before = (await get('/accounts').expect(200)).body.items;
    clock.advance(2 * 3_600_000);
    user.authHeader = await freshAuthHeader(t, user);
    override = (req) =>
      req.path.endsWith('/transactions')
        ? json(
            '[{"activityId": 1, "status": "VALID", "type": "TRADE", "tradeDate": "yesterday", "netAmount": 1}]',
          )
        : undefined;
    await sync();
    expect((await get('/accounts').expect(200)).body.items).toEqual(before);
    expect((await get(`/providers/${id}`).expect(200)).body).toMatchObject({
      status: 'degraded',
      syncStatus: 'failed',
      syncStatusReason: 'malformed_payload',
    });
  });
});

import { json, SchwabStandIn } from '../../../../test/support/schwab-stand-in';
import { BrokerageError, BrokeragePayloadError } from '../brokerage-data.adapter';
import { SchwabDataAdapter } from './schwab-data.adapter';

const request = { connectionId: 'c', accessToken: 'tok' };
const account = {
  externalId: 'e',
  name: 'n',
  type: 'margin',
  numberLast4: '1234',
  currency: 'USD',
  cash: '0',
  marketValue: '0',
  total: '0',
  apiHandle: 'HASH/1',
};

describe('SchwabDataAdapter over HTTP (a 127.0.0.1 stand-in)', () => {
  let answer = json('[]');
  const standIn = new SchwabStandIn(() => answer);
  let adapter: SchwabDataAdapter;
  beforeAll(async () => {
    await standIn.start();
    adapter = new SchwabDataAdapter({ schwabApiBaseUrl: standIn.url, requestTimeoutMs: 2000 });
  });
  afterAll(() => standIn.stop());
  beforeEach(() => {
    answer = json('[]');
    standIn.requests.length = 0;
  });

  it('asks for transactions in windows of at most a year, with the bearer token and the escaped hash', async () => {
    await adapter.getTransactions(request, account, '2024-01-01', '2025-06-30');
    expect(
      standIn.requests.map((r) => [r.path, r.query.startDate, r.query.endDate, r.token]),
    ).toEqual([
      [
        '/trader/v1/accounts/HASH%2F1/transactions',
        '2024-01-01T00:00:00.000Z',
        '2024-12-30T23:59:59.999Z',
        'tok',
      ],
      [
        '/trader/v1/accounts/HASH%2F1/transactions',
        '2024-12-31T00:00:00.000Z',
        '2025-06-30T23:59:59.999Z',
        'tok',
      ],
    ]);
  });

  it.each([
    [401, 'reauth_required', 'unauthorized'],
    [403, 'reauth_required', 'unauthorized'],
    [404, 'temporary', 'brokerage_rejected'],
    [503, 'temporary', 'brokerage_error'],
  ])('HTTP %i → %s (%s)', async (status, kind, code) => {
    answer = json('{"message":"no"}', status);
    await expect(adapter.listAccounts(request)).rejects.toMatchObject({ kind, code, status });
  });

  it('429 carries Retry-After; a non-JSON 200 is a malformed payload', async () => {
    answer = json('{}', 429, { 'retry-after': '30' });
    await expect(adapter.listAccounts(request)).rejects.toMatchObject({
      kind: 'rate_limited',
      retryAfter: '30',
    });
    answer = json('<html>');
    await expect(adapter.listAccounts(request)).rejects.toBeInstanceOf(BrokeragePayloadError);
  });

  it('an unreachable API is a temporary connection error', async () => {
    const down = new SchwabDataAdapter({
      schwabApiBaseUrl: 'http://127.0.0.1:9',
      requestTimeoutMs: 2000,
    });
    const err = await down.listAccounts(request).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokerageError);
    expect(err).toMatchObject({ kind: 'temporary', code: 'connection_error' });
  });
});

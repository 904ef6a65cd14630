import { FakeClock } from '../../../common/clock';
import type { SandboxDataFailMode } from '../../../config/sync.config';
import { BrokerageError, BrokeragePayloadError } from '../brokerage-data.adapter';
import { SandboxDataAdapter } from './sandbox-data.adapter';

const request = { connectionId: '0b6c7a52-3f0e-4a43-9d1c-2f5d8e9a1b7c', accessToken: 'sbx_at_x' };

describe('SandboxDataAdapter', () => {
  let mode: SandboxDataFailMode = 'none';
  const adapter = new SandboxDataAdapter(new FakeClock('2026-06-15T10:00:00Z'), () => mode);
  beforeEach(() => (mode = 'none'));

  it('serves the connection’s portfolio', async () => {
    const accounts = await adapter.listAccounts(request);
    expect(accounts.length).toBeGreaterThanOrEqual(2);
    expect((await adapter.getPositions(request, accounts[0])).length).toBeGreaterThan(0);
    expect(
      (await adapter.getTransactions(request, accounts[1], '2026-01-01', '2026-06-15')).length,
    ).toBeGreaterThan(0);
  });

  it.each([
    ['data_401', 'reauth_required', 401],
    ['data_429', 'rate_limited', 429],
    ['data_500', 'temporary', 500],
  ] as const)('%s fails every call as %s', async (m, kind, status) => {
    mode = m;
    const err = await adapter.listAccounts(request).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokerageError);
    expect(err).toMatchObject({ kind, status });
  });

  it('refuses a token the sandbox did not issue; data_malformed breaks the second account mid-sync', async () => {
    await expect(adapter.listAccounts({ ...request, accessToken: 'stolen' })).rejects.toMatchObject(
      { kind: 'reauth_required' },
    );
    mode = 'data_malformed';
    const [first, second] = await adapter.listAccounts(request);
    await expect(
      adapter.getTransactions(request, first, '2026-06-01', '2026-06-15'),
    ).resolves.toBeDefined();
    await expect(
      adapter.getTransactions(request, second, '2026-06-01', '2026-06-15'),
    ).rejects.toBeInstanceOf(BrokeragePayloadError);
  });
});

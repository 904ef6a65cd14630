import { parseAppSettings } from './app.config';
import { parseSyncSettings } from './sync.config';

const dev = parseAppSettings({ NODE_ENV: 'development' });
const prod = parseAppSettings({ NODE_ENV: 'production', PUBLIC_URL: 'https://api.example.com' });

describe('parseSyncSettings', () => {
  it('defaults: hourly, 5-minute minimum between on-demand syncs, a year of history, Schwab production API', () => {
    expect(parseSyncSettings({}, dev)).toMatchObject({
      enabled: true,
      intervalMs: 3_600_000,
      minIntervalMs: 300_000,
      historyDays: 365,
      overlapDays: 3,
      schwabApiBaseUrl: 'https://api.schwabapi.com',
      sandboxDataFail: 'none',
    });
    expect(parseSyncSettings({}, parseAppSettings({ NODE_ENV: 'test' })).enabled).toBe(false);
    expect(
      parseSyncSettings({ SCHWAB_API_BASE_URL: 'http://127.0.0.1:9/' }, dev).schwabApiBaseUrl,
    ).toBe('http://127.0.0.1:9');
  });

  it('refuses plain http in production, intervals under a minute and unknown failure modes, naming the variable', () => {
    expect(() => parseSyncSettings({ SCHWAB_API_BASE_URL: 'http://mock' }, prod)).toThrow(
      /SCHWAB_API_BASE_URL/,
    );
    expect(() => parseSyncSettings({ SYNC_INTERVAL_MS: '1000' }, dev)).toThrow(/SYNC_INTERVAL_MS/);
    expect(() => parseSyncSettings({ SANDBOX_DATA_FAIL: 'explode' }, dev)).toThrow(
      /SANDBOX_DATA_FAIL/,
    );
  });
});

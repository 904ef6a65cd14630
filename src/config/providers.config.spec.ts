import { parseAppSettings } from './app.config';
import { ConfigError } from './env';
import { parseProvidersSettings } from './providers.config';

const dev = parseAppSettings({ NODE_ENV: 'development', PUBLIC_URL: 'http://localhost:3000' });
const prod = parseAppSettings({ NODE_ENV: 'production', PUBLIC_URL: 'https://api.example.com' });

describe('parseProvidersSettings', () => {
  it('Schwab is disabled without credentials; defaults per the Schwab docs; sandbox outside production', () => {
    const s = parseProvidersSettings({}, dev);
    expect(s.schwab).toMatchObject({
      enabled: false,
      authorizeUrl: 'https://api.schwabapi.com/v1/oauth/authorize',
      tokenUrl: 'https://api.schwabapi.com/v1/oauth/token',
      redirectUri: 'http://localhost:3000/api/v1/providers/oauth/callback',
      refreshTokenLifetimeMs: 7 * 86_400_000,
      ratePerMinute: 120,
    });
    expect(s.sandbox).toMatchObject({
      tokenUrl: 'http://localhost:3000/sandbox/oauth/token',
      failMode: 'none',
    });
    expect(s.sweep.enabled).toBe(true);
    expect(parseProvidersSettings({}, parseAppSettings({ NODE_ENV: 'test' })).sweep.enabled).toBe(
      false,
    );
  });

  it('enables Schwab with both credentials; one alone is an error naming the missing one', () => {
    expect(
      parseProvidersSettings({ SCHWAB_CLIENT_ID: 'k', SCHWAB_CLIENT_SECRET: 's' }, dev).schwab
        .enabled,
    ).toBe(true);
    expect(() => parseProvidersSettings({ SCHWAB_CLIENT_ID: 'k' }, dev)).toThrow(
      /SCHWAB_CLIENT_SECRET/,
    );
    expect(() => parseProvidersSettings({ SCHWAB_CLIENT_SECRET: 's' }, dev)).toThrow(
      /SCHWAB_CLIENT_ID/,
    );
  });

  it('production: no sandbox, https only, insecure http refused', () => {
    const s = parseProvidersSettings({ SCHWAB_CLIENT_ID: 'k', SCHWAB_CLIENT_SECRET: 's' }, prod);
    expect(s.sandbox).toBeUndefined();
    expect(s.schwab.allowInsecureRequests).toBe(false);
    expect(() => parseProvidersSettings({ SCHWAB_TOKEN_URL: 'http://mock/token' }, prod)).toThrow(
      ConfigError,
    );
    expect(() => parseProvidersSettings({ PROVIDERS_ALLOW_INSECURE_HTTP: 'true' }, prod)).toThrow(
      /PROVIDERS_ALLOW_INSECURE_HTTP/,
    );
    expect(() => parseProvidersSettings({ SANDBOX_FAIL: 'explode' }, dev)).toThrow(/SANDBOX_FAIL/);
  });
});

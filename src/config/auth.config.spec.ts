import { parseAppSettings } from './app.config';
import { parseAuthSettings, parseJwtKeys } from './auth.config';
import { ConfigError } from './env';
import { parseMailSettings } from './mail.config';

const app = (env: Record<string, string> = {}) => parseAppSettings(env);
const prod = { NODE_ENV: 'production' };
const KEY = 'k1:0123456789abcdef0123456789abcdef';

describe('auth config', () => {
  it('has working defaults for development and test', () => {
    const s = parseAuthSettings({}, app());
    expect(s).toMatchObject({
      issuer: 'http://localhost:3000',
      audience: 'dashtam-api',
      accessTtlSeconds: 900,
      refreshIdleTtlSeconds: 14 * 86400,
      refreshAbsoluteTtlSeconds: 60 * 86400,
      lockoutThreshold: 5,
      sessionCheck: true,
      redisUrl: undefined,
      throttle: { ttlMs: 60_000, ipLimit: 20, accountLimit: 10, accountGlobalLimit: 50 },
      lockoutDecaySeconds: 3600,
    });
    expect(s.jwtKeys).toHaveLength(1);
    expect(parseAuthSettings({}, app({ NODE_ENV: 'test' })).throttle.ipLimit).toBe(1000);
  });

  it('refuses the placeholder signing key and a disabled session check in production', () => {
    expect(() => parseAuthSettings({}, app(prod))).toThrow(/JWT_SIGNING_KEYS/);
    expect(() =>
      parseAuthSettings(
        { JWT_SIGNING_KEYS: 'dev:dashtam-development-signing-key-not-for-production' },
        app(prod),
      ),
    ).toThrow(ConfigError);
    expect(() =>
      parseAuthSettings({ JWT_SIGNING_KEYS: KEY, AUTH_SESSION_CHECK: 'false' }, app(prod)),
    ).toThrow(/AUTH_SESSION_CHECK/);
    expect(parseAuthSettings({ JWT_SIGNING_KEYS: KEY }, app(prod)).jwtKeys[0].kid).toBe('k1');
  });

  it('refuses the public development secret inside a list in production, under any kid', () => {
    const dev = 'dashtam-development-signing-key-not-for-production';
    expect(() => parseAuthSettings({ JWT_SIGNING_KEYS: `${KEY},old:${dev}` }, app(prod))).toThrow(
      /"old" is the public development key/,
    );
    expect(() => parseJwtKeys(`prod:${dev}`, true)).toThrow(ConfigError);
    // outside production the development key stays usable
    expect(
      parseAuthSettings({ JWT_SIGNING_KEYS: `${KEY},old:${dev}` }, app()).jwtKeys,
    ).toHaveLength(2);
  });

  it('refuses one secret under two kids', () => {
    expect(() => parseJwtKeys(`${KEY},k2:0123456789abcdef0123456789abcdef`)).toThrow(
      /same secret under two kids/,
    );
  });

  it('parses kid:secret lists; the first key signs', () => {
    const keys = parseJwtKeys(`${KEY}, k0:abcdefabcdefabcdefabcdefabcdefab:with-colon`);
    expect(keys.map((k) => k.kid)).toEqual(['k1', 'k0']);
    expect(new TextDecoder().decode(keys[1].secret)).toBe(
      'abcdefabcdefabcdefabcdefabcdefab:with-colon',
    );
  });

  it.each([
    ['', /at least one/],
    ['nokid', /kid:secret/],
    [':0123456789abcdef0123456789abcdef', /kid:secret/],
    ['k1:short', /at least 32 bytes/],
    [`${KEY},${KEY}`, /duplicate kid/],
    ['bad kid!:0123456789abcdef0123456789abcdef', /kid:secret/],
  ])('refuses JWT_SIGNING_KEYS=%j', (value, message) => {
    expect(() => parseJwtKeys(value)).toThrow(message);
  });

  it('never echoes a key in an error', () => {
    try {
      parseJwtKeys('k1:tooshortsecret');
    } catch (err) {
      expect((err as Error).message).not.toContain('tooshortsecret');
    }
  });

  it('checks lifetimes and URLs', () => {
    expect(() =>
      parseAuthSettings(
        { REFRESH_IDLE_TTL_SECONDS: '999999', REFRESH_ABSOLUTE_TTL_SECONDS: '1000' },
        app(),
      ),
    ).toThrow(/REFRESH_IDLE_TTL_SECONDS/);
    expect(() => parseAuthSettings({ REDIS_URL: 'http://x' }, app())).toThrow(/REDIS_URL/);
    expect(
      parseAuthSettings(
        { REDIS_URL: 'redis://127.0.0.1:6379', AUTH_THROTTLE_TTL_SECONDS: '5' },
        app(),
      ),
    ).toMatchObject({
      redisUrl: 'redis://127.0.0.1:6379',
      throttle: { ttlMs: 5000 },
    });
  });
});

describe('mail config', () => {
  it('logs mail by default outside production and requires SMTP in production', () => {
    expect(parseMailSettings({}, app())).toEqual({
      smtpUrl: undefined,
      from: 'Dashtam <no-reply@dashtam.local>',
    });
    expect(() => parseMailSettings({}, app(prod))).toThrow(/SMTP_URL/);
    expect(
      parseMailSettings(
        { SMTP_URL: 'smtps://u:p@mail.example:465', MAIL_FROM: 'X <x@y.z>' },
        app(prod),
      ),
    ).toEqual({
      smtpUrl: 'smtps://u:p@mail.example:465',
      from: 'X <x@y.z>',
    });
    expect(() => parseMailSettings({ SMTP_URL: 'https://mail.example' }, app())).toThrow(
      /SMTP_URL/,
    );
  });
});

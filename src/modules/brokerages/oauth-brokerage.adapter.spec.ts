import * as oauth from 'oauth4webapi';
import type { BrokerageSettings } from '../../config/providers.config';
import { BrokerageError } from './brokerage-adapter';
import { OAuthBrokerageAdapter } from './oauth-brokerage.adapter';

const settings: BrokerageSettings = {
  key: 'schwab',
  name: 'Charles Schwab',
  enabled: true,
  clientId: 'AppKey',
  clientSecret: 'AppSecret',
  issuer: 'https://api.schwabapi.com',
  authorizeUrl: 'https://api.schwabapi.com/v1/oauth/authorize',
  tokenUrl: 'https://api.schwabapi.com/v1/oauth/token',
  redirectUri: 'https://app.test/api/v1/providers/oauth/callback',
  scopes: [],
  refreshTokenLifetimeMs: 7 * 86_400_000,
  ratePerMinute: 120,
  requestTimeoutMs: 1000,
  allowInsecureRequests: false,
};

function bodyError(
  status: number,
  error: string,
  headers: Record<string, string> = {},
): oauth.ResponseBodyError {
  return new oauth.ResponseBodyError('x', {
    cause: { error },
    response: new Response(null, { status, headers }),
  });
}

describe('OAuthBrokerageAdapter', () => {
  const a = new OAuthBrokerageAdapter(settings);

  it('builds the authorization URL with S256 PKCE, state and the configured redirect URI only', () => {
    const url = new URL(a.buildAuthorizationUrl({ state: 'st', codeChallenge: 'ch' }));
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'AppKey',
      redirect_uri: settings.redirectUri,
      state: 'st',
      code_challenge: 'ch',
      code_challenge_method: 'S256',
    });
    const scoped = new OAuthBrokerageAdapter({ ...settings, scopes: ['a', 'b'] });
    expect(
      new URL(scoped.buildAuthorizationUrl({ state: 's', codeChallenge: 'c' })).searchParams.get(
        'scope',
      ),
    ).toBe('a b');
    expect(a.supportsRevocation).toBe(false);
    expect(
      new OAuthBrokerageAdapter({ ...settings, revokeUrl: 'https://x/revoke' }).supportsRevocation,
    ).toBe(true);
  });

  it.each([
    [bodyError(400, 'invalid_grant'), 'reauth_required', 'invalid_grant'],
    [bodyError(401, 'invalid_client'), 'reauth_required', 'invalid_client'],
    [bodyError(400, 'invalid_request'), 'reauth_required', 'invalid_request'],
    [bodyError(400, 'weird code with spaces'), 'reauth_required', 'brokerage_error'],
    [bodyError(429, 'slow_down', { 'retry-after': '30' }), 'rate_limited', 'rate_limited'],
    [bodyError(503, 'temporarily_unavailable'), 'temporary', 'brokerage_error'],
    [bodyError(408, 'timeout'), 'temporary', 'timeout'],
    [Object.assign(new Error('t'), { name: 'TimeoutError' }), 'temporary', 'timeout'],
    [new TypeError('fetch failed'), 'temporary', 'connection_error'],
    [new Error('???'), 'temporary', 'unexpected_error'],
  ])('classifies %#', (err, kind, code) => {
    expect(a.classifyError(err)).toMatchObject({ kind, code });
  });

  it('keeps Retry-After of a 429 and passes BrokerageErrors through', () => {
    expect(a.classifyError(bodyError(429, 'x', { 'retry-after': '30' })).retryAfter).toBe('30');
    const e = new BrokerageError('temporary', 'timeout');
    expect(a.classifyError(e)).toBe(e);
  });

  it('refuses plain http unless allowed, and never for a disabled brokerage', async () => {
    const http = new OAuthBrokerageAdapter({ ...settings, tokenUrl: 'http://127.0.0.1:9/token' });
    await expect(http.refresh('rt')).rejects.toMatchObject({
      kind: 'temporary',
      code: 'invalid_response',
    });
    const allowed = new OAuthBrokerageAdapter({
      ...settings,
      tokenUrl: 'http://127.0.0.1:9/token',
      allowInsecureRequests: true,
    });
    await expect(allowed.refresh('rt')).rejects.toMatchObject({
      kind: 'temporary',
      code: 'connection_error',
    });
    expect(
      () =>
        new OAuthBrokerageAdapter({ ...settings, enabled: false, clientId: '', clientSecret: '' }),
    ).not.toThrow();
  });

  it('refuses an authorization response from a foreign issuer as authorization_failed, without calling the brokerage', async () => {
    const fetchSpy = jest.spyOn(globalThis, 'fetch');
    await expect(
      a.exchangeCode({ code: 'c', iss: 'https://evil.test' }, 'v'.repeat(43)),
    ).rejects.toMatchObject({ kind: 'reauth_required', code: 'authorization_failed' });
    expect(fetchSpy).not.toHaveBeenCalled();
    fetchSpy.mockRestore();
  });
});

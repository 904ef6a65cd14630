import * as oauth from 'oauth4webapi';
import type { BrokerageSettings } from '../../config/providers.config';
import { brokerageFetch } from './brokerage-fetch';
import {
  AuthorizationRequest,
  BrokerageAdapter,
  BrokerageError,
  TokenSet,
} from './brokerage-adapter';

export const AUTHORIZATION_FAILED = 'authorization_failed';

const REAUTH_ERRORS = new Set([
  'invalid_grant',
  'invalid_client',
  'unauthorized_client',
  'unsupported_token_type',
  'unsupported_grant_type',
  'invalid_scope',
  'access_denied',
]);

export class OAuthBrokerageAdapter implements BrokerageAdapter {
  readonly authType = 'oauth2' as const;
  private readonly as: oauth.AuthorizationServer;
  private readonly client: oauth.Client;
  private readonly clientAuth: oauth.ClientAuth;

  constructor(protected readonly settings: BrokerageSettings) {
    this.as = {
      issuer: settings.issuer,
      authorization_endpoint: settings.authorizeUrl,
      token_endpoint: settings.tokenUrl,
      revocation_endpoint: settings.revokeUrl,
    };
    this.client = { client_id: settings.clientId };
    // A brokerage without credentials is never called; oauth4webapi refuses an empty secret.
    this.clientAuth = settings.enabled
      ? oauth.ClientSecretBasic(settings.clientSecret)
      : oauth.None();
  }

  get key(): string {
    return this.settings.key;
  }
  get name(): string {
    return this.settings.name;
  }
  get scopes(): readonly string[] {
    return this.settings.scopes;
  }
  get enabled(): boolean {
    return this.settings.enabled;
  }
  get supportsRevocation(): boolean {
    return this.settings.revokeUrl !== undefined;
  }
  get refreshTokenLifetimeMs(): number | null {
    return this.settings.refreshTokenLifetimeMs;
  }
  get ratePerMinute(): number {
    return this.settings.ratePerMinute;
  }
  get redirectUri(): string {
    return this.settings.redirectUri;
  }

  buildAuthorizationUrl({ state, codeChallenge }: AuthorizationRequest): string {
    const url = new URL(this.settings.authorizeUrl);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', this.settings.clientId);
    url.searchParams.set('redirect_uri', this.settings.redirectUri);
    if (this.settings.scopes.length) url.searchParams.set('scope', this.settings.scopes.join(' '));
    url.searchParams.set('state', state);
    url.searchParams.set('code_challenge', codeChallenge);
    url.searchParams.set('code_challenge_method', 'S256');
    return url.toString();
  }

  async exchangeCode(callback: Record<string, string>, codeVerifier: string): Promise<TokenSet> {
    let params: URLSearchParams;
    try {
      // Our own state check already happened (hashed, single-use, bound to user and connection).
      params = oauth.validateAuthResponse(
        this.as,
        this.client,
        new URLSearchParams(callback),
        oauth.skipStateCheck,
      );
    } catch {
      // e.g. a foreign `iss`: the response is unacceptable, not the brokerage down.
      throw new BrokerageError('reauth_required', AUTHORIZATION_FAILED);
    }
    try {
      const response = await oauth.authorizationCodeGrantRequest(
        this.as,
        this.client,
        this.clientAuth,
        params,
        this.settings.redirectUri,
        codeVerifier,
        this.options(),
      );
      await this.precheck(response);
      return toTokenSet(
        await oauth.processAuthorizationCodeResponse(this.as, this.client, response),
      );
    } catch (err) {
      throw this.classifyError(err);
    }
  }

  async refresh(refreshToken: string): Promise<TokenSet> {
    try {
      const response = await oauth.refreshTokenGrantRequest(
        this.as,
        this.client,
        this.clientAuth,
        refreshToken,
        this.options(),
      );
      await this.precheck(response);
      return toTokenSet(await oauth.processRefreshTokenResponse(this.as, this.client, response));
    } catch (err) {
      throw this.classifyError(err);
    }
  }

  async revoke(token: string, hint: 'refresh_token' | 'access_token'): Promise<void> {
    try {
      const response = await oauth.revocationRequest(this.as, this.client, this.clientAuth, token, {
        ...this.options(),
        additionalParameters: { token_type_hint: hint },
      });
      await this.precheck(response);
      await oauth.processRevocationResponse(response);
    } catch (err) {
      throw this.classifyError(err);
    }
  }

  classifyError(err: unknown): BrokerageError {
    if (err instanceof BrokerageError) return err;
    if (err instanceof oauth.ResponseBodyError) {
      const code = safeCode(err.error);
      if (err.status === 429)
        return new BrokerageError(
          'rate_limited',
          'rate_limited',
          429,
          header(err.response, 'retry-after'),
        );
      if (err.status >= 500) return new BrokerageError('temporary', 'brokerage_error', err.status);
      // Token-endpoint 4xx (RFC 6749 §5.2) won't heal by retrying: the grant or client is refused.
      if (
        err.status === 401 ||
        REAUTH_ERRORS.has(err.error) ||
        (err.status >= 400 && err.status !== 408)
      ) {
        return new BrokerageError('reauth_required', code, err.status);
      }
      return new BrokerageError('temporary', code, err.status);
    }
    if (err instanceof oauth.WWWAuthenticateChallengeError) {
      return err.status === 401
        ? new BrokerageError('reauth_required', 'unauthorized', 401)
        : new BrokerageError('temporary', 'brokerage_error', err.status);
    }
    if (err instanceof oauth.AuthorizationResponseError) {
      return new BrokerageError('reauth_required', safeCode(err.error), undefined);
    }
    const name = (err as { name?: string })?.name;
    if (name === 'TimeoutError' || name === 'AbortError')
      return new BrokerageError('temporary', 'timeout');
    // By name, not instanceof: undici's errors may come from another realm (e.g. under Jest).
    if (name === 'TypeError' && /fetch failed/i.test((err as Error).message))
      return new BrokerageError('temporary', 'connection_error');
    if (err instanceof oauth.OperationProcessingError) {
      const status = err.cause instanceof Response ? err.cause.status : undefined;
      if (status === 401) return new BrokerageError('reauth_required', 'unauthorized', 401);
      // A 4xx without an OAuth error body (e.g. a problem+json 400): still a refusal, not a hiccup.
      if (status !== undefined && status >= 400 && status < 500 && status !== 408)
        return new BrokerageError('reauth_required', 'rejected', status);
      return new BrokerageError('temporary', 'invalid_response', status);
    }
    return new BrokerageError('temporary', 'unexpected_error');
  }

  // Before oauth4webapi parses the body: 429/5xx bodies are often HTML or empty.
  private async precheck(response: Response): Promise<void> {
    if (response.status === 429 || response.status >= 500) {
      await response.body?.cancel().catch(() => undefined);
      throw response.status === 429
        ? new BrokerageError(
            'rate_limited',
            'rate_limited',
            429,
            response.headers.get('retry-after') ?? undefined,
          )
        : new BrokerageError('temporary', 'brokerage_error', response.status);
    }
  }

  private options(): {
    signal: () => AbortSignal;
    [oauth.allowInsecureRequests]?: boolean;
    [oauth.customFetch]: typeof brokerageFetch;
  } {
    return {
      signal: () => AbortSignal.timeout(this.settings.requestTimeoutMs),
      [oauth.allowInsecureRequests]: this.settings.allowInsecureRequests,
      [oauth.customFetch]: brokerageFetch,
    };
  }
}

function toTokenSet(r: oauth.TokenEndpointResponse): TokenSet {
  const rtExp = (r as { refresh_token_expires_in?: unknown }).refresh_token_expires_in;
  return {
    accessToken: r.access_token,
    refreshToken: r.refresh_token,
    idToken: r.id_token,
    expiresIn: r.expires_in,
    refreshTokenExpiresIn: typeof rtExp === 'number' && rtExp > 0 ? rtExp : undefined,
    scopes: r.scope ? r.scope.split(/\s+/).filter(Boolean) : undefined,
  };
}

// Brokerage-supplied codes end up in URLs and the database.
export function safeCode(code: unknown, fallback = 'brokerage_error'): string {
  return typeof code === 'string' && /^[a-z0-9_.-]{1,64}$/i.test(code) ? code : fallback;
}

function header(response: unknown, name: string): string | undefined {
  return response instanceof Response ? (response.headers.get(name) ?? undefined) : undefined;
}

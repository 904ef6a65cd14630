/**
 * The one seam between Dashtam and a brokerage's OAuth server. Each brokerage has a folder in this module; all of them are collected under BROKERAGE_ADAPTERS (a `Map<key, adapter>`), so tests and new
 * brokerages plug in without touching the flow or the token code.
 */
export const BROKERAGE_ADAPTERS = Symbol('BROKERAGE_ADAPTERS');

export type BrokerageAdapters = ReadonlyMap<string, BrokerageAdapter>;

/** Tokens as a brokerage returned them. Secrets: never log, never return to a client. */
export interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  idToken?: string;
  /** Seconds, as `expires_in`; undefined when the brokerage did not say. */
  expiresIn?: number;
  /** Seconds, when the brokerage states the refresh token's lifetime itself. */
  refreshTokenExpiresIn?: number;
  scopes?: string[];
}

/**
 * How a failed brokerage call should be handled:
 * - `reauth_required`: the grant is gone (invalid_grant, 401, refresh token past its end): the user must re-authorise;
 * - `temporary`: 5xx, timeouts, connection errors, unexpected responses: back off and retry;
 * - `rate_limited`: 429, retry no earlier than `Retry-After`.
 */
export type BrokerageErrorKind = 'reauth_required' | 'temporary' | 'rate_limited';

export class BrokerageError extends Error {
  constructor(
    readonly kind: BrokerageErrorKind,
    /** Stable machine code safe to show and store (an OAuth error code or one of ours). */
    readonly code: string,
    readonly status?: number,
    /** Raw Retry-After header value (seconds or HTTP date), interpreted by the caller's clock. */
    readonly retryAfter?: string,
  ) {
    super(`brokerage ${kind}: ${code}${status ? ` (HTTP ${status})` : ''}`);
    this.name = 'BrokerageError';
  }
}

export interface AuthorizationRequest {
  state: string;
  codeChallenge: string;
}

export interface BrokerageAdapter {
  readonly key: string;
  readonly name: string;
  readonly authType: 'oauth2';
  readonly scopes: readonly string[];
  readonly enabled: boolean;
  readonly supportsRevocation: boolean;
  /** Hard end of a refresh token counted from the code exchange (null: use what the brokerage returns). */
  readonly refreshTokenLifetimeMs: number | null;
  /** Token endpoint calls per minute available to this app. */
  readonly ratePerMinute: number;
  readonly redirectUri: string;

  /** The URL the browser is sent to (PKCE S256 and state included). */
  buildAuthorizationUrl(request: AuthorizationRequest): string;
  /** Exchanges an authorisation code; `callback` holds the callback's query parameters (code, iss…). */
  exchangeCode(callback: Record<string, string>, codeVerifier: string): Promise<TokenSet>;
  refresh(refreshToken: string): Promise<TokenSet>;
  /** Best effort; only called when `supportsRevocation`. */
  revoke(token: string, hint: 'refresh_token' | 'access_token'): Promise<void>;
  /** Maps anything a call threw to a BrokerageError. */
  classifyError(err: unknown): BrokerageError;
}

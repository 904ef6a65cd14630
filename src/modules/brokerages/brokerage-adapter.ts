export const BROKERAGE_ADAPTERS = Symbol('BROKERAGE_ADAPTERS');

export type BrokerageAdapters = ReadonlyMap<string, BrokerageAdapter>;

// Secrets: never log, never return to a client.
export interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  idToken?: string;
  expiresIn?: number;
  refreshTokenExpiresIn?: number;
  scopes?: string[];
}

// reauth_required: the grant is gone (invalid_grant, 401, expiry); temporary: 5xx, timeouts, junk.
export type BrokerageErrorKind = 'reauth_required' | 'temporary' | 'rate_limited';

export class BrokerageError extends Error {
  constructor(
    readonly kind: BrokerageErrorKind,
    /** Safe to show and store. */
    readonly code: string,
    readonly status?: number,
    /** Raw header (seconds or HTTP date): the caller's clock interprets it. */
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
  /** Counted from the code exchange; null: what the brokerage returns. */
  readonly refreshTokenLifetimeMs: number | null;
  readonly ratePerMinute: number;
  readonly redirectUri: string;

  buildAuthorizationUrl(request: AuthorizationRequest): string;
  exchangeCode(callback: Record<string, string>, codeVerifier: string): Promise<TokenSet>;
  refresh(refreshToken: string): Promise<TokenSet>;
  revoke(token: string, hint: 'refresh_token' | 'access_token'): Promise<void>;
  classifyError(err: unknown): BrokerageError;
}

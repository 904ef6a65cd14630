import type { AppSettings } from './app.config';
import { bool, ConfigError, Env, int, list, oneOf, optionalStr, secret, url } from './env';

// Also selectable per request with the `sandbox_fail` query flag.
export const SANDBOX_FAIL_MODES = [
  'none',
  'exchange_invalid_grant',
  'refresh_invalid_grant',
  'refresh_500',
  'refresh_429',
] as const;
export type SandboxFailMode = (typeof SANDBOX_FAIL_MODES)[number];

// One shape for every adapter, so they share one HTTP code path.
export interface BrokerageSettings {
  key: string;
  name: string;
  // False when credentials are missing: listed in the catalog, but not connectable.
  enabled: boolean;
  clientId: string;
  clientSecret: string;
  // Checked against an id_token's `iss` when the brokerage returns one.
  issuer: string;
  authorizeUrl: string;
  tokenUrl: string;
  revokeUrl?: string;
  // Never taken from a request.
  redirectUri: string;
  scopes: string[];
  // From the first code exchange, not extended by refreshes (null: the brokerage says).
  refreshTokenLifetimeMs: number | null;
  // The brokerage's per-application budget of token-endpoint calls.
  ratePerMinute: number;
  requestTimeoutMs: number;
  allowInsecureRequests: boolean;
}

export interface SandboxSettings extends BrokerageSettings {
  failMode: SandboxFailMode;
  accessTokenTtlSeconds: number;
}

export interface ProvidersSettings {
  schwab: BrokerageSettings;
  // Undefined in production: the sandbox brokerage does not exist there.
  sandbox?: SandboxSettings;
  stateTtlMs: number;
  refreshThresholdMs: number;
  expiringWindowMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  // Within this, a forced refresh answers with the current tokens, no brokerage call.
  forcedRefreshCooldownMs: number;
  // Per instance; more answer 429.
  forcedRefreshesPerUser: number;
  userRateShare: number;
  // Longer than the brokerage call can take (its timeout).
  refreshLeaseMs: number;
  sweep: {
    enabled: boolean;
    intervalMs: number;
    batchSize: number;
    concurrency: number;
    // How long a dead sweeper's claim stays invisible to the others.
    leaseMs: number;
  };
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

export function parseProvidersSettings(env: Env, app: AppSettings): ProvidersSettings {
  const defaultRedirect = `${app.publicUrl}/api/v1/providers/oauth/callback`;
  const timeout = int(env, 'PROVIDERS_REQUEST_TIMEOUT_MS', 10_000, 100, 120_000);
  const insecureWanted = bool(env, 'PROVIDERS_ALLOW_INSECURE_HTTP', !app.isProduction);
  if (insecureWanted && app.isProduction) {
    throw new ConfigError('PROVIDERS_ALLOW_INSECURE_HTTP', 'must not be enabled in production');
  }

  const schwabId = optionalStr(env, 'SCHWAB_CLIENT_ID');
  const schwabSecret = optionalStr(env, 'SCHWAB_CLIENT_SECRET');
  if ((schwabId === undefined) !== (schwabSecret === undefined)) {
    throw new ConfigError(
      schwabId ? 'SCHWAB_CLIENT_SECRET' : 'SCHWAB_CLIENT_ID',
      'must be set together with its pair',
    );
  }
  const httpish = insecureWanted ? ['http', 'https'] : ['https'];
  const schwab: BrokerageSettings = {
    key: 'schwab',
    name: 'Charles Schwab',
    enabled: schwabId !== undefined,
    clientId: schwabId ?? '',
    clientSecret: schwabSecret ?? '',
    issuer: url(env, 'SCHWAB_ISSUER', 'https://api.schwabapi.com', httpish),
    authorizeUrl: url(
      env,
      'SCHWAB_AUTHORIZE_URL',
      'https://api.schwabapi.com/v1/oauth/authorize',
      httpish,
    ),
    tokenUrl: url(env, 'SCHWAB_TOKEN_URL', 'https://api.schwabapi.com/v1/oauth/token', httpish),
    revokeUrl: optionalStr(env, 'SCHWAB_REVOKE_URL')
      ? url(env, 'SCHWAB_REVOKE_URL', undefined, httpish)
      : undefined,
    redirectUri: url(env, 'SCHWAB_REDIRECT_URI', defaultRedirect, ['http', 'https']),
    scopes: list(env, 'SCHWAB_SCOPES', []),
    refreshTokenLifetimeMs: int(env, 'SCHWAB_REFRESH_TOKEN_LIFETIME_DAYS', 7, 1, 365) * DAY,
    ratePerMinute: int(env, 'SCHWAB_RATE_PER_MINUTE', 120, 1, 1_000_000),
    requestTimeoutMs: timeout,
    allowInsecureRequests: insecureWanted,
  };

  const sandboxOn = !app.isProduction && bool(env, 'SANDBOX_ENABLED', true);
  const sandbox: SandboxSettings | undefined = sandboxOn
    ? {
        key: 'sandbox',
        name: 'Sandbox brokerage (development)',
        enabled: true,
        clientId: optionalStr(env, 'SANDBOX_CLIENT_ID') ?? 'dashtam-sandbox',
        clientSecret: secret(env, 'SANDBOX_CLIENT_SECRET', 'sandbox-secret', false),
        issuer: `${app.publicUrl}/sandbox`,
        authorizeUrl: `${app.publicUrl}/sandbox/oauth/authorize`,
        tokenUrl: `${app.publicUrl}/sandbox/oauth/token`,
        revokeUrl: `${app.publicUrl}/sandbox/oauth/revoke`,
        redirectUri: defaultRedirect,
        scopes: ['readonly'],
        refreshTokenLifetimeMs: int(env, 'SANDBOX_REFRESH_TOKEN_LIFETIME_DAYS', 7, 1, 365) * DAY,
        ratePerMinute: int(env, 'SANDBOX_RATE_PER_MINUTE', 600, 1, 1_000_000),
        requestTimeoutMs: timeout,
        allowInsecureRequests: true,
        failMode: oneOf(env, 'SANDBOX_FAIL', SANDBOX_FAIL_MODES, 'none'),
        accessTokenTtlSeconds: int(env, 'SANDBOX_ACCESS_TOKEN_TTL_SECONDS', 1800, 1, 86_400),
      }
    : undefined;

  return {
    schwab,
    sandbox,
    stateTtlMs: 10 * MINUTE,
    refreshThresholdMs: 5 * MINUTE,
    expiringWindowMs: DAY,
    backoffBaseMs: int(env, 'TOKEN_REFRESH_BACKOFF_BASE_MS', 30_000, 1, DAY),
    backoffMaxMs: int(env, 'TOKEN_REFRESH_BACKOFF_MAX_MS', 30 * MINUTE, 1, DAY),
    forcedRefreshCooldownMs: int(env, 'TOKEN_FORCED_REFRESH_COOLDOWN_MS', 30_000, 0, DAY),
    forcedRefreshesPerUser: int(env, 'TOKEN_FORCED_REFRESHES_PER_USER', 3, 1, 1_000),
    userRateShare: int(env, 'TOKEN_USER_RATE_SHARE_PERCENT', 25, 1, 100) / 100,
    refreshLeaseMs: 2 * timeout + 5_000,
    sweep: {
      enabled: bool(env, 'TOKEN_SWEEP_ENABLED', app.nodeEnv !== 'test'),
      intervalMs: int(env, 'TOKEN_SWEEP_INTERVAL_MS', MINUTE, 1_000, DAY),
      batchSize: int(env, 'TOKEN_SWEEP_BATCH_SIZE', 100, 1, 10_000),
      concurrency: int(env, 'TOKEN_SWEEP_CONCURRENCY', 4, 1, 256),
      leaseMs: int(env, 'TOKEN_SWEEP_LEASE_MS', 2 * MINUTE, 1_000, DAY),
    },
  };
}

import type { AppSettings } from './app.config';
import { bool, ConfigError, Env, int, oneOf, optionalUrl, secret, str } from './env';

export interface JwtKey {
  kid: string;
  secret: Uint8Array;
}

export interface ThrottleSettings {
  ttlMs: number;
  ipLimit: number;
  accountLimit: number;
  /** Looser than `accountLimit`, so one attacker address cannot lock the owner out. */
  accountGlobalLimit: number;
}

export interface AuthSettings {
  /** The first signs, all verify (rotation overlap). */
  jwtKeys: JwtKey[];
  issuer: string;
  audience: string;
  accessTtlSeconds: number;
  refreshIdleTtlSeconds: number;
  refreshAbsoluteTtlSeconds: number;
  verifyEmailTtlSeconds: number;
  passwordResetTtlSeconds: number;
  lockoutThreshold: number;
  lockoutBaseSeconds: number;
  lockoutMaxSeconds: number;
  lockoutDecaySeconds: number;
  throttle: ThrottleSettings;
  redisUrl?: string;
  /** Only the benchmark turns it off; refused in production. */
  sessionCheck: boolean;
  /** `test` (cheap argon2id, for the suite's speed) only under NODE_ENV=test. */
  passwordHashing: 'owasp' | 'test';
}

const PLACEHOLDER_KEYS = 'dev:dashtam-development-signing-key-not-for-production';

export function parseAuthSettings(env: Env, app: AppSettings): AuthSettings {
  const passwordHashing = oneOf(env, 'PASSWORD_HASHING', ['owasp', 'test'] as const, 'owasp');
  if (passwordHashing === 'test' && app.nodeEnv !== 'test') {
    throw new ConfigError('PASSWORD_HASHING', 'may be "test" only when NODE_ENV=test');
  }
  const jwtKeys = parseJwtKeys(
    secret(env, 'JWT_SIGNING_KEYS', PLACEHOLDER_KEYS, app.isProduction),
    app.isProduction,
  );
  const sessionCheck = bool(env, 'AUTH_SESSION_CHECK', true);
  if (!sessionCheck && app.isProduction) {
    throw new ConfigError(
      'AUTH_SESSION_CHECK',
      'cannot be disabled in production (logout would not be immediate)',
    );
  }
  const refreshIdleTtlSeconds = int(env, 'REFRESH_IDLE_TTL_SECONDS', 14 * 86400, 60);
  const refreshAbsoluteTtlSeconds = int(env, 'REFRESH_ABSOLUTE_TTL_SECONDS', 60 * 86400, 60);
  if (refreshIdleTtlSeconds > refreshAbsoluteTtlSeconds) {
    throw new ConfigError(
      'REFRESH_IDLE_TTL_SECONDS',
      'must not exceed REFRESH_ABSOLUTE_TTL_SECONDS',
    );
  }
  return {
    jwtKeys,
    issuer: str(env, 'JWT_ISSUER', app.publicUrl),
    audience: str(env, 'JWT_AUDIENCE', 'dashtam-api'),
    accessTtlSeconds: int(env, 'ACCESS_TOKEN_TTL_SECONDS', 15 * 60, 30, 3600),
    refreshIdleTtlSeconds,
    refreshAbsoluteTtlSeconds,
    verifyEmailTtlSeconds: int(env, 'VERIFY_EMAIL_TTL_SECONDS', 24 * 3600, 60),
    passwordResetTtlSeconds: int(env, 'PASSWORD_RESET_TTL_SECONDS', 3600, 60),
    lockoutThreshold: int(env, 'LOCKOUT_THRESHOLD', 5, 1, 1000),
    lockoutBaseSeconds: int(env, 'LOCKOUT_BASE_SECONDS', 60, 1),
    lockoutMaxSeconds: int(env, 'LOCKOUT_MAX_SECONDS', 15 * 60, 1, 24 * 3600),
    lockoutDecaySeconds: int(env, 'LOCKOUT_DECAY_SECONDS', 3600, 1),
    throttle: {
      ttlMs: int(env, 'AUTH_THROTTLE_TTL_SECONDS', 60, 1) * 1000,
      ipLimit: int(env, 'AUTH_THROTTLE_IP_LIMIT', app.nodeEnv === 'test' ? 1000 : 20, 1),
      accountLimit: int(env, 'AUTH_THROTTLE_ACCOUNT_LIMIT', app.nodeEnv === 'test' ? 1000 : 10, 1),
      accountGlobalLimit: int(
        env,
        'AUTH_THROTTLE_ACCOUNT_GLOBAL_LIMIT',
        app.nodeEnv === 'test' ? 5000 : 50,
        1,
      ),
    },
    redisUrl: optionalUrl(env, 'REDIS_URL', ['redis', 'rediss']),
    sessionCheck,
    passwordHashing,
  };
}

const PLACEHOLDER_SECRET = PLACEHOLDER_KEYS.slice(PLACEHOLDER_KEYS.indexOf(':') + 1);

// 32+ bytes: HS256 wants a key as long as its output.
export function parseJwtKeys(value: string, isProduction = false): JwtKey[] {
  const seen: string[] = [];
  const keys = value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const sep = part.indexOf(':');
      const kid = sep > 0 ? part.slice(0, sep) : '';
      const material = sep > 0 ? part.slice(sep + 1) : '';
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(kid))
        throw new ConfigError('JWT_SIGNING_KEYS', 'entries must look like kid:secret');
      if (Buffer.byteLength(material) < 32)
        throw new ConfigError('JWT_SIGNING_KEYS', `key "${kid}" must be at least 32 bytes`);
      if (isProduction && material === PLACEHOLDER_SECRET)
        throw new ConfigError('JWT_SIGNING_KEYS', `key "${kid}" is the public development key`);
      seen.push(material);
      return { kid, secret: new TextEncoder().encode(material) };
    });
  if (!keys.length) throw new ConfigError('JWT_SIGNING_KEYS', 'must hold at least one kid:secret');
  if (new Set(keys.map((k) => k.kid)).size !== keys.length)
    throw new ConfigError('JWT_SIGNING_KEYS', 'has a duplicate kid');
  // One secret under two kids would make the kid meaningless (and rotation a no-op).
  if (new Set(seen).size !== seen.length)
    throw new ConfigError('JWT_SIGNING_KEYS', 'uses the same secret under two kids');
  return keys;
}

import { bool, bytes, Env, int, list, oneOf, optionalStr, optionalUrl, url } from './env';

export type NodeEnv = 'development' | 'production' | 'test';

export interface AppSettings {
  nodeEnv: NodeEnv;
  isProduction: boolean;
  host: string;
  port: number;
  /** Public base URL of this API (used to build links in mail and OAuth redirect URIs). */
  publicUrl: string;
  /** Where the browser goes after flows that end in a redirect (OAuth callback, email links). */
  frontendUrl: string;
  corsOrigins: string[];
  bodyLimitBytes: number;
  /** Proxies whose X-Forwarded-For we believe (Express "trust proxy" values). Empty: trust none. */
  trustedProxies: string[];
  logLevel: string;
  logPretty: boolean;
  docsEnabled: boolean;
}

export function parseAppSettings(env: Env): AppSettings {
  const nodeEnv = oneOf(env, 'NODE_ENV', ['development', 'production', 'test'] as const, 'development');
  const port = int(env, 'PORT', 3000, 0, 65535);
  return {
    nodeEnv,
    isProduction: nodeEnv === 'production',
    host: optionalStr(env, 'HOST') ?? '0.0.0.0',
    port,
    publicUrl: url(env, 'PUBLIC_URL', `http://localhost:${port}`, ['http', 'https']).replace(/\/$/, ''),
    frontendUrl: url(env, 'FRONTEND_URL', 'http://localhost:5173', ['http', 'https']).replace(/\/$/, ''),
    corsOrigins: list(env, 'CORS_ORIGINS', nodeEnv === 'production' ? [] : ['http://localhost:5173']),
    bodyLimitBytes: bytes(env, 'BODY_LIMIT', 100 * 1024),
    trustedProxies: list(env, 'TRUSTED_PROXIES', []),
    logLevel: oneOf(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const,
      nodeEnv === 'test' ? 'silent' : 'info'),
    logPretty: bool(env, 'LOG_PRETTY', nodeEnv === 'development'),
    // Off in production unless asked for: the document maps every route for whoever finds it.
    docsEnabled: bool(env, 'DOCS_ENABLED', nodeEnv !== 'production'),
  };
}

export interface DatabaseSettings {
  /** Set: that PostgreSQL. Unset: embedded PGlite under `pgliteDir`. */
  url?: string;
  pgliteDir: string;
  poolSize: number;
  statementTimeoutMs: number;
  /** Apply pending migrations at start (always on for the embedded database). */
  migrationsRun: boolean;
}

export function parseDatabaseSettings(env: Env): DatabaseSettings {
  const dbUrl = optionalUrl(env, 'DATABASE_URL', ['postgres', 'postgresql']);
  return {
    url: dbUrl,
    pgliteDir: optionalStr(env, 'PGLITE_DIR') ?? './.data/pglite',
    poolSize: int(env, 'DATABASE_POOL_SIZE', 10, 1, 200),
    statementTimeoutMs: int(env, 'DATABASE_STATEMENT_TIMEOUT_MS', 30_000, 0),
    migrationsRun: bool(env, 'DATABASE_MIGRATIONS_RUN', dbUrl === undefined),
  };
}

import { existsSync } from 'node:fs';
import {
  bool,
  bytes,
  ConfigError,
  Env,
  int,
  list,
  oneOf,
  optionalStr,
  optionalUrl,
  url,
} from './env';

export type NodeEnv = 'development' | 'production' | 'test';

export interface AppSettings {
  nodeEnv: NodeEnv;
  isProduction: boolean;
  host: string;
  port: number;
  // Builds links in mail and the OAuth redirect URIs.
  publicUrl: string;
  frontendUrl: string;
  corsOrigins: string[];
  bodyLimitBytes: number;
  // Express "trust proxy" values; empty: trust none.
  trustedProxies: string[];
  logLevel: string;
  logPretty: boolean;
  docsEnabled: boolean;
}

// Detected once, passed explicitly by tests.
export interface Runtime {
  // Docker, Podman or Kubernetes: the port is published from outside, so listen on every interface.
  inContainer: boolean;
  // pino-pretty is a dev dependency: absent from `npm ci --omit=dev`.
  canPrettyPrint: boolean;
}

export function detectRuntime(env: Env): Runtime {
  let canPrettyPrint = true;
  try {
    require.resolve('pino-pretty');
  } catch {
    canPrettyPrint = false;
  }
  return {
    inContainer:
      existsSync('/.dockerenv') ||
      existsSync('/run/.containerenv') ||
      env.KUBERNETES_SERVICE_HOST !== undefined ||
      !!env.container,
    canPrettyPrint,
  };
}

export function parseAppSettings(env: Env, runtime: Runtime = detectRuntime(env)): AppSettings {
  const nodeEnv = oneOf(
    env,
    'NODE_ENV',
    ['development', 'production', 'test'] as const,
    'development',
  );
  const port = int(env, 'PORT', 3000, 0, 65535);
  const logPretty = bool(env, 'LOG_PRETTY', nodeEnv === 'development' && runtime.canPrettyPrint);
  if (logPretty && !runtime.canPrettyPrint) {
    throw new ConfigError(
      'LOG_PRETTY',
      'is true but pino-pretty is not installed (production installs omit dev dependencies): unset it or set LOG_PRETTY=false',
    );
  }
  return {
    nodeEnv,
    isProduction: nodeEnv === 'production',
    // A developer's machine serves only itself unless told otherwise; production and containers serve the network.
    host:
      optionalStr(env, 'HOST') ??
      (nodeEnv === 'production' || runtime.inContainer ? '0.0.0.0' : '127.0.0.1'),
    port,
    publicUrl: url(env, 'PUBLIC_URL', `http://localhost:${port}`, ['http', 'https']).replace(
      /\/$/,
      '',
    ),
    frontendUrl: url(env, 'FRONTEND_URL', 'http://localhost:5173', ['http', 'https']).replace(
      /\/$/,
      '',
    ),
    corsOrigins: list(
      env,
      'CORS_ORIGINS',
      nodeEnv === 'production' ? [] : ['http://localhost:5173'],
    ),
    bodyLimitBytes: bytes(env, 'BODY_LIMIT', 100 * 1024),
    trustedProxies: list(env, 'TRUSTED_PROXIES', []),
    logLevel: oneOf(
      env,
      'LOG_LEVEL',
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const,
      nodeEnv === 'test' ? 'silent' : 'info',
    ),
    logPretty,
    // Off in production unless asked for: the document maps every route for whoever finds it.
    docsEnabled: bool(env, 'DOCS_ENABLED', nodeEnv !== 'production'),
  };
}

export interface DatabaseSettings {
  // Unset: embedded PGlite under `pgliteDir`.
  url?: string;
  pgliteDir: string;
  poolSize: number;
  statementTimeoutMs: number;
  // Always on for the embedded database.
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

import type { AppSettings } from './app.config';
import { bool, Env, int, oneOf, url } from './env';

export const SANDBOX_DATA_FAIL_MODES = [
  'none',
  'data_401',
  'data_429',
  'data_500',
  'data_malformed',
] as const;
export type SandboxDataFailMode = (typeof SANDBOX_DATA_FAIL_MODES)[number];

export interface SyncSettings {
  enabled: boolean;
  intervalMs: number;
  tickMs: number;
  minIntervalMs: number;
  historyDays: number;
  // Re-read before the last transaction date (de-duplicated).
  overlapDays: number;
  // A crashed instance's claim lapses by itself.
  leaseMs: number;
  batchSize: number;
  concurrency: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  schwabApiBaseUrl: string;
  requestTimeoutMs: number;
  sandboxDataFail: SandboxDataFailMode;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

export function parseSyncSettings(env: Env, app: AppSettings): SyncSettings {
  const insecure = !app.isProduction;
  return {
    enabled: bool(env, 'SYNC_ENABLED', app.nodeEnv !== 'test'),
    intervalMs: int(env, 'SYNC_INTERVAL_MS', 60 * MINUTE, MINUTE, 7 * DAY),
    tickMs: int(env, 'SYNC_TICK_MS', 15_000, 1_000, DAY),
    minIntervalMs: int(env, 'SYNC_MIN_INTERVAL_MS', 5 * MINUTE, 0, DAY),
    historyDays: int(env, 'SYNC_HISTORY_DAYS', 365, 1, 3650),
    overlapDays: int(env, 'SYNC_OVERLAP_DAYS', 3, 0, 60),
    leaseMs: int(env, 'SYNC_LEASE_MS', 5 * MINUTE, 1_000, DAY),
    batchSize: int(env, 'SYNC_BATCH_SIZE', 20, 1, 10_000),
    concurrency: int(env, 'SYNC_CONCURRENCY', 4, 1, 256),
    backoffBaseMs: int(env, 'SYNC_BACKOFF_BASE_MS', MINUTE, 1, DAY),
    backoffMaxMs: int(env, 'SYNC_BACKOFF_MAX_MS', 60 * MINUTE, 1, DAY),
    schwabApiBaseUrl: url(
      env,
      'SCHWAB_API_BASE_URL',
      'https://api.schwabapi.com',
      insecure ? ['http', 'https'] : ['https'],
    ).replace(/\/+$/, ''),
    requestTimeoutMs: int(env, 'PROVIDERS_REQUEST_TIMEOUT_MS', 10_000, 100, 120_000),
    sandboxDataFail: oneOf(env, 'SANDBOX_DATA_FAIL', SANDBOX_DATA_FAIL_MODES, 'none'),
  };
}

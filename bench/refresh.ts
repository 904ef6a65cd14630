/**
 * Token refresh benchmark (docs/providers.md has the figures and the reading of them).
 *
 *   node -r ./scripts/register-ts.cjs bench/refresh.ts [--connections 10000] [--concurrency 128] [--batch 512]
 *     [--pool 10] [--redis 1]   (--redis 0: no REDIS_URL, each instance has its own in-process rate budget)
 *
 * Needs PostgreSQL (ADMIN_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres) and Redis as the
 * app uses it. A scratch database is created and migrated; N Schwab connections are stored through the real
 * TokensService (tokens encrypted), made due, and swept
 *   1. by one app instance (a child process running TokenSweepService.sweepOnce until nothing is due),
 *   2. by two instances at once (two child processes, same database),
 * against a local mock token endpoint (bench/refresh-mock-brokerage.mjs, its own process). Reported: wall time,
 * brokerage calls (must equal N, no connection refreshed twice), refresh latency percentiles and CPU per refresh
 * of each process kind (instances, the PostgreSQL server, Redis, the mock; server figures include any other
 * client's work on the machine). Then the hot
 * path: getValidAccessToken on fresh tokens (one row read + one decryption) against a plain read of the row.
 * The scratch database is dropped at the end.
 */
import 'reflect-metadata';
import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { NestFactory } from '@nestjs/core';
import Redis from 'ioredis';
import { Client } from 'pg';
import {
  benchDatabase,
  cpuSeconds as cpuSeconds_,
  numberArg,
  postgresCpuSeconds,
  runWorkers,
} from './measure';
import { DataSource as DataSourceClass } from 'typeorm';
import type { DataSource } from 'typeorm';
import type { AppModule as AppModuleT } from '../src/app.module';
import type { Transactions as TransactionsT } from '../src/database/transactions';
import type { TokenSweepService as TokenSweepServiceT } from '../src/modules/tokens/token-sweep.service';
import type { TokensService as TokensServiceT } from '../src/modules/tokens/tokens.service';

/**
 * The app is imported only after process.env is final: ConfigModule validates the environment when the module
 * is imported, and an unset DATABASE_URL would silently mean the developer's embedded database.
 */
async function loadApp() {
  /* eslint-disable @typescript-eslint/no-require-imports -- deliberate late loading, see above */
  const { AppModule } = require('../src/app.module') as { AppModule: typeof AppModuleT };
  const { Transactions } = require('../src/database/transactions') as {
    Transactions: typeof TransactionsT;
  };
  const { TokenSweepService } = require('../src/modules/tokens/token-sweep.service') as {
    TokenSweepService: typeof TokenSweepServiceT;
  };
  const { TokensService } = require('../src/modules/tokens/tokens.service') as {
    TokensService: typeof TokensServiceT;
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
  const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
  return {
    app,
    ds: app.get<DataSource>(DataSourceClass),
    tx: app.get(Transactions),
    tokens: app.get(TokensService),
    sweep: app.get(TokenSweepService),
  };
}

const arg = numberArg;
const N = arg('connections', 10_000);
const CONCURRENCY = arg('concurrency', 128);
const BATCH = arg('batch', 512);
// Refreshes share transactions (group commit), so the pool need not grow with the concurrency.
const POOL = arg('pool', 10);
const HOT_CALLERS = 16;
const REDIS_URL = arg('redis', 1) ? (process.env.REDIS_URL ?? 'redis://127.0.0.1:6379') : '';
const { adminUrl, dbName, dbUrl } = benchDatabase('refresh');

function appEnv(mockUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    LOG_PRETTY: 'false',
    DATABASE_URL: dbUrl,
    DATABASE_POOL_SIZE: String(POOL),
    DATABASE_MIGRATIONS_RUN: 'false',
    SCHWAB_CLIENT_ID: 'BenchAppKey',
    SCHWAB_CLIENT_SECRET: 'BenchAppSecret',
    SCHWAB_ISSUER: mockUrl,
    SCHWAB_AUTHORIZE_URL: `${mockUrl}/authorize`,
    SCHWAB_TOKEN_URL: `${mockUrl}/token`,
    SCHWAB_RATE_PER_MINUTE: '1000000',
    PROVIDERS_ALLOW_INSECURE_HTTP: 'true',
    SANDBOX_ENABLED: 'false',
    TOKEN_SWEEP_ENABLED: 'false',
    SYNC_ENABLED: 'false',
    TOKEN_SWEEP_BATCH_SIZE: String(BATCH),
    TOKEN_SWEEP_CONCURRENCY: String(CONCURRENCY),
    REDIS_URL,
    ...extra,
  };
}

// ------------------------------------------------------------------------------------------- worker mode

/** A child process = one app instance: waits for "go" on stdin, sweeps until nothing is due, prints JSON. */
async function worker(): Promise<void> {
  if (!process.env.DATABASE_URL) throw new Error('worker started without DATABASE_URL');
  // Names this instance's sessions, so the CPU of its own PostgreSQL backends can be read at the end.
  const appName = `dashtam-bench-sweeper-${process.pid}`;
  const url = new URL(process.env.DATABASE_URL);
  url.searchParams.set('application_name', appName);
  process.env.DATABASE_URL = url.toString();
  const { app, ds, tokens, sweep } = await loadApp();
  const latencies: number[] = [];
  const original = tokens.refresh.bind(tokens);
  tokens.refresh = async (id, opts) => {
    const t = performance.now();
    try {
      return await original(id, opts);
    } finally {
      latencies.push(performance.now() - t);
    }
  };
  process.stdout.write('@@ready\n');
  if (process.env.BENCH_DEBUG) console.error('[worker] waiting for go');
  await new Promise<void>((resolve) =>
    createInterface({ input: process.stdin }).once('line', () => resolve()),
  );
  if (process.env.BENCH_DEBUG) console.error('[worker] go');
  const startedAt = Date.now();
  const cpuAtStart = process.cpuUsage();
  let refreshed = 0;
  let failed = 0;
  for (;;) {
    const r = await sweep.sweepOnce();
    if (process.env.BENCH_DEBUG) console.error('[worker]', process.pid, JSON.stringify(r));
    refreshed += r.refreshed;
    failed += r.failed;
    if (r.claimed === 0) break;
  }
  const finishedAt = Date.now();
  const used = process.cpuUsage(cpuAtStart);
  const cpuSeconds = (used.user + used.system) / 1e6;
  const backends: Array<{ pid: number }> = await ds.query(
    `SELECT pid FROM pg_stat_activity WHERE application_name = $1`,
    [appName],
  );
  const backendCpuSeconds = backends.reduce((sum, b) => sum + cpuSeconds_(b.pid), 0);
  // Exit right after the result is flushed: the measurement is over, and open handles must not keep us alive.
  void app;
  process.stdout.write(
    `@@result ${JSON.stringify({ startedAt, finishedAt, refreshed, failed, cpuSeconds, backendCpuSeconds, latencies })}\n`,
    () => process.exit(0),
  );
}

// ------------------------------------------------------------------------------------------- parent mode

function startMock(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [`${__dirname}/refresh-mock-brokerage.mjs`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve) =>
    createInterface({ input: child.stdout }).once('line', (url) =>
      resolve({ url: url.trim(), child }),
    ),
  );
}

interface WorkerResult {
  startedAt: number;
  finishedAt: number;
  refreshed: number;
  failed: number;
  cpuSeconds: number;
  backendCpuSeconds: number;
  latencies: number[];
}

function runSweepers(count: number, mockUrl: string): Promise<WorkerResult[]> {
  return runWorkers<WorkerResult>(
    count,
    __filename,
    {
      ...process.env,
      ...appEnv(mockUrl),
      // BENCH_CPU_PROF=<dir>: a V8 CPU profile per instance (open it in Chrome DevTools).
      ...(process.env.BENCH_CPU_PROF
        ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.BENCH_CPU_PROF}` }
        : {}),
    },
    'sweeper',
  );
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function makeAllDue(ds: DataSource): Promise<void> {
  await ds.query(
    `UPDATE provider_tokens SET access_token_expires_at = now() + interval '2 minutes', refresh_due_at = now() - interval '1 minute', last_refreshed_at = NULL`,
  );
}

async function redisCpuSeconds(redis: Redis | undefined): Promise<number> {
  if (!redis) return 0;
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return field('used_cpu_sys') + field('used_cpu_user');
}

async function throughput(
  label: string,
  ops: number,
  concurrency: number,
  op: (i: number) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < ops) await op(next++);
    }),
  );
  const perSec = ops / ((performance.now() - t) / 1000);
  console.log(`  ${label.padEnd(44)} ${Math.round(perSec).toString().padStart(8)} ops/s`);
  return perSec;
}

async function main(): Promise<void> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${dbName}"`);
  const mock = await startMock();
  try {
    Object.assign(
      process.env,
      appEnv(mock.url, {
        DATABASE_MIGRATIONS_RUN: 'true',
        DATABASE_POOL_SIZE: String(HOT_CALLERS + 4),
      }),
    );
    const { app, ds, tokens, tx } = await loadApp();
    console.log(`Seeding ${N} Schwab connections (tokens encrypted through TokensService)…`);
    const ids: string[] = [];
    const t0 = performance.now();
    for (let start = 0; start < N; start += 500) {
      await tx.run(async (t) => {
        for (let i = start; i < Math.min(N, start + 500); i++) {
          const id = randomUUID();
          const now = new Date();
          await t.manager.query(
            `INSERT INTO provider_connections (id, user_id, provider_key, status, created_at, updated_at) VALUES ($1, $2, 'schwab', 'active', $3, $3)`,
            [id, randomUUID(), now],
          );
          await tokens.storeFromExchange(
            t.manager,
            { id, userId: randomUUID(), providerKey: 'schwab', status: 'active' },
            { accessToken: `at-${i}`, refreshToken: `rt-${i}`, expiresIn: 1800 },
          );
          ids.push(id);
        }
      });
    }
    console.log(`  seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

    const rows: string[] = [];
    const cpuRows: string[] = [];
    const redis = REDIS_URL ? new Redis(REDIS_URL) : undefined;
    for (const instances of [1, 2]) {
      await makeAllDue(ds);
      await fetch(`${mock.url}/reset`);
      const [pg0, redis0] = [postgresCpuSeconds(), await redisCpuSeconds(redis)];
      const results = await runSweepers(instances, mock.url);
      const [pg1, redis1] = [postgresCpuSeconds(), await redisCpuSeconds(redis)];
      const stats = (await (await fetch(`${mock.url}/stats`)).json()) as {
        calls: number;
        distinct: number;
        duplicates: number;
        sockets: number;
        cpuSeconds: number;
      };
      const wall =
        (Math.max(...results.map((r) => r.finishedAt)) -
          Math.min(...results.map((r) => r.startedAt))) /
        1000;
      const lat = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
      const refreshed = results.reduce((s, r) => s + r.refreshed, 0);
      rows.push(
        `| ${instances} | ${wall.toFixed(2)} s | ${Math.round(N / wall)} | ${stats.calls} | ${stats.duplicates} | ${refreshed} | ${results.map((r) => r.refreshed).join(' / ')} | ${pct(lat, 50).toFixed(1)} ms | ${pct(lat, 99).toFixed(1)} ms |`,
      );
      const perRefresh = (seconds: number) => ((seconds * 1000) / N).toFixed(2);
      const app = results.reduce((sum, r) => sum + r.cpuSeconds, 0);
      const own = results.reduce((sum, r) => sum + r.backendCpuSeconds, 0);
      cpuRows.push(
        `| ${instances} | ${perRefresh(app)} | ${perRefresh(own)} | ${perRefresh(pg1 - pg0)} | ${perRefresh(redis1 - redis0)} | ${perRefresh(stats.cpuSeconds)} | ${stats.sockets} |`,
      );
      if (stats.calls !== N || stats.duplicates !== 0)
        console.error(`!! expected ${N} calls without duplicates, got ${JSON.stringify(stats)}`);
    }
    console.log(
      `Sweep of ${N} due connections (batch ${BATCH}, concurrency ${CONCURRENCY}, pool ${POOL} per instance):\n`,
    );
    console.log(
      '| instances | wall time | refreshes/s | brokerage calls | duplicate calls | refreshed | per instance | p50 refresh | p99 refresh |',
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const r of rows) console.log(r);
    console.log(`\nCPU ms per refresh (rate budget: ${REDIS_URL ? 'Redis' : 'in-process'}):\n`);
    console.log(
      '| instances | app instances | their PostgreSQL backends | PostgreSQL server (all clients) | Redis server | mock brokerage | TCP connections to the mock |',
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- |');
    for (const r of cpuRows) console.log(r);
    await redis?.quit();

    // Hot path: every token is fresh after the sweep.
    console.log(`\nHot path (fresh tokens, ${HOT_CALLERS} concurrent callers, one instance):`);
    const sample = ids.slice(0, 2000);
    const ops = 20_000;
    await throughput('warm-up', 2000, HOT_CALLERS, (i) =>
      tokens.getValidAccessToken(sample[i % sample.length]),
    );
    const plain = await throughput(
      'plain row read (SELECT provider_tokens row)',
      ops,
      HOT_CALLERS,
      (i) =>
        ds.query(`SELECT * FROM provider_tokens WHERE connection_id = $1`, [
          sample[i % sample.length],
        ]),
    );
    const hot = await throughput('getValidAccessToken (read + decrypt)', ops, HOT_CALLERS, (i) =>
      tokens.getValidAccessToken(sample[i % sample.length]),
    );
    console.log(`  ratio getValidAccessToken / plain read: ${(hot / plain).toFixed(2)}`);
    await app.close();
  } finally {
    mock.child.kill('SIGTERM');
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
  }
}

if (process.argv.includes('--worker')) {
  worker().catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

/**
 * (One file over 300 lines on purpose, like bench/refresh.ts: parent, worker mode and the stand-in's JSON together.)
 *
 * Financial-data sync benchmark (docs/financial-data.md has the figures and the reading of them).
 *
 *   node -r ./scripts/register-ts.cjs bench/sync.ts [--connections 1000] [--transactions 200] [--concurrency 8]
 *        [--batch 50] [--rows 1000000] [--requests 300]
 *
 * Needs PostgreSQL (ADMIN_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres). A scratch database
 * is created and migrated; N Schwab connections (3 accounts each) are stored through the real TokensService, and
 * a full sync of all of them runs against a Schwab stand-in on 127.0.0.1 (test/support/schwab-stand-in.ts, in
 * this process, serving Schwab-shaped JSON with M transactions per account)
 *   1. on one app instance (a child process running SyncSchedulerService.runOnce until nothing is claimed),
 *   2. on two instances at once (two child processes, same database; the financial data is wiped in between).
 * Reported: wall time, rows written per second, brokerage calls, connections synced more than once (must be 0).
 * Then GET /accounts/:id/transactions over HTTP on an account holding R transactions: median and p99 of the first
 * page and of a page deep in the keyset (cursor at 90 % of the rows). The scratch database is dropped at the end.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Client } from 'pg';
import { benchDatabase, numberArg, runWorkers } from './measure';
import { DataSource } from 'typeorm';
import type { AppModule as AppModuleT } from '../src/app.module';
import type { APP_OPTIONS as APP_OPTIONS_T, configureApp as configureAppT } from '../src/app.setup';
import type { LoginService as LoginServiceT } from '../src/modules/auth/login.service';
import type { RegistrationService as RegistrationServiceT } from '../src/modules/auth/registration.service';
import type { SyncSchedulerService as SyncSchedulerServiceT } from '../src/modules/sync/sync-scheduler.service';
import type { TokensService as TokensServiceT } from '../src/modules/tokens/tokens.service';
import type { Transactions as TransactionsT } from '../src/database/transactions';
import {
  json,
  SchwabStandIn,
  StandInRequest,
  StandInResponse,
} from '../test/support/schwab-stand-in';

const arg = numberArg;
const N = arg('connections', 1000);
const M = arg('transactions', 200);
const CONCURRENCY = arg('concurrency', 8);
const BATCH = arg('batch', 50);
const ROWS = arg('rows', 1_000_000);
const REQUESTS = arg('requests', 300);
const ACCOUNTS = 3;
const { adminUrl, dbName, dbUrl } = benchDatabase('sync');

function appEnv(standInUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    LOG_PRETTY: 'false',
    DATABASE_URL: dbUrl,
    DATABASE_POOL_SIZE: String(CONCURRENCY + 4),
    DATABASE_MIGRATIONS_RUN: 'false',
    SCHWAB_API_BASE_URL: standInUrl,
    SANDBOX_ENABLED: 'false',
    TOKEN_SWEEP_ENABLED: 'false',
    SYNC_ENABLED: 'false',
    SYNC_BATCH_SIZE: String(BATCH),
    SYNC_CONCURRENCY: String(CONCURRENCY),
    SYNC_HISTORY_DAYS: '365',
    ...extra,
  };
}

/** The app is loaded only once process.env is final (ConfigModule validates the environment on import). */
function loadModules() {
  /* eslint-disable @typescript-eslint/no-require-imports -- deliberate late loading, see above */
  return {
    AppModule: (require('../src/app.module') as { AppModule: typeof AppModuleT }).AppModule,
    setup: require('../src/app.setup') as {
      APP_OPTIONS: typeof APP_OPTIONS_T;
      configureApp: typeof configureAppT;
    },
    LoginService: (
      require('../src/modules/auth/login.service') as { LoginService: typeof LoginServiceT }
    ).LoginService,
    RegistrationService: (
      require('../src/modules/auth/registration.service') as {
        RegistrationService: typeof RegistrationServiceT;
      }
    ).RegistrationService,
    SyncSchedulerService: (
      require('../src/modules/sync/sync-scheduler.service') as {
        SyncSchedulerService: typeof SyncSchedulerServiceT;
      }
    ).SyncSchedulerService,
    TokensService: (
      require('../src/modules/tokens/tokens.service') as { TokensService: typeof TokensServiceT }
    ).TokensService,
    Transactions: (
      require('../src/database/transactions') as { Transactions: typeof TransactionsT }
    ).Transactions,
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
}

// ------------------------------------------------------------------------------------------- worker mode

/** A child process = one app instance: waits for "go", runs sync passes until nothing is claimed, prints JSON. */
async function worker(): Promise<void> {
  const mods = loadModules();
  const app = await NestFactory.createApplicationContext(mods.AppModule, {
    logger: ['error', 'warn'],
  });
  const scheduler = app.get(mods.SyncSchedulerService);
  process.stdout.write('@@ready\n');
  await new Promise<void>((resolve) =>
    createInterface({ input: process.stdin }).once('line', () => resolve()),
  );
  const startedAt = Date.now();
  let synced = 0;
  let failed = 0;
  for (;;) {
    const r = await scheduler.runOnce();
    synced += r.synced;
    failed += r.failed;
    if (r.claimed === 0) break;
  }
  const finishedAt = Date.now();
  process.stdout.write(
    `@@result ${JSON.stringify({ startedAt, finishedAt, synced, failed })}\n`,
    () => process.exit(0),
  );
}

// ------------------------------------------------------------------------------------------- parent mode

/** Schwab-shaped JSON per connection (its index rides in the token): 3 accounts, 4 positions each, M transactions. */
function responder(req: StandInRequest): StandInResponse {
  const k = Number(/^bench-at-(\d+)$/.exec(req.token ?? '')?.[1] ?? NaN);
  if (!Number.isInteger(k)) return json('{}', 401);
  const number = (a: number) => String(40_000_000 + k * ACCOUNTS + a);
  const hash = (a: number) => `H${k.toString(16).padStart(8, '0')}${a}`.padEnd(64, 'A');
  if (req.path.endsWith('/accountNumbers')) {
    return json(
      JSON.stringify(
        Array.from({ length: ACCOUNTS }, (_, a) => ({
          accountNumber: number(a),
          hashValue: hash(a),
        })),
      ),
    );
  }
  if (req.path === '/trader/v1/accounts') {
    const accounts = Array.from({ length: ACCOUNTS }, (_, a) => {
      const positions = ['AAPL', 'MSFT', 'SPY', 'BND'].map(
        (symbol, p) =>
          `{"shortQuantity":0,"averagePrice":${100 + p}.125,"longQuantity":${10 + a},"instrument":{"assetType":"EQUITY","symbol":"${symbol}"},"marketValue":${(10 + a) * (101 + p)}.5}`,
      );
      return `{"securitiesAccount":{"type":"MARGIN","accountNumber":"${number(a)}","positions":[${positions.join(',')}],"currentBalances":{"cashBalance":1234.56,"liquidationValue":${100000 + a}.01}}}`;
    });
    return json(`[${accounts.join(',')}]`);
  }
  const a = Number(/\/accounts\/H[0-9a-f]{8}(\d)A*\/transactions$/.exec(req.path)?.[1] ?? NaN);
  const end = Date.parse(req.query.endDate ?? '');
  const txs = Array.from({ length: M }, (_, i) => {
    const day = new Date(end - (i % 300) * 86_400_000).toISOString().slice(0, 10);
    return `{"activityId":${k * 1_000_000 + a * 10_000 + i},"status":"VALID","type":"TRADE","tradeDate":"${day}T15:00:00+0000","netAmount":-${i}.37,"transferItems":[{"instrument":{"assetType":"EQUITY","symbol":"AAPL"},"amount":1,"price":${i}.37}]}`;
  });
  return json(`[${txs.join(',')}]`);
}

interface InstanceResult {
  startedAt: number;
  finishedAt: number;
  synced: number;
  failed: number;
}

function runInstances(count: number, standInUrl: string): Promise<InstanceResult[]> {
  const env = { ...process.env, ...appEnv(standInUrl) };
  return runWorkers<InstanceResult>(count, __filename, env, 'instance');
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

async function timeRequests(url: string, headers: Record<string, string>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const t = performance.now();
    const res = await fetch(url, { headers });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}`);
    out.push(performance.now() - t);
  }
  return out.sort((x, y) => x - y);
}

async function main(): Promise<void> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${dbName}"`);
  const standIn = new SchwabStandIn(responder);
  await standIn.start();
  try {
    Object.assign(process.env, appEnv(standIn.url, { DATABASE_MIGRATIONS_RUN: 'true' }));
    const mods = loadModules();
    const app = await NestFactory.create<NestExpressApplication>(mods.AppModule, {
      ...mods.setup.APP_OPTIONS,
      logger: ['error', 'warn'],
    });
    mods.setup.configureApp(app);
    await app.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}/api/v1`;
    const ds = app.get(DataSource);
    const tokens = app.get(mods.TokensService);
    const tx = app.get(mods.Transactions);

    console.log(`Seeding ${N} Schwab connections (tokens encrypted through TokensService)…`);
    for (let start = 0; start < N; start += 250) {
      await tx.run(async (t) => {
        for (let k = start; k < Math.min(N, start + 250); k++) {
          const id = randomUUID();
          const now = new Date();
          await t.manager.query(
            `INSERT INTO provider_connections (id, user_id, provider_key, status, created_at, updated_at) VALUES ($1, $2, 'schwab', 'active', $3, $3)`,
            [id, randomUUID(), now],
          );
          await tokens.storeFromExchange(
            t.manager,
            { id, userId: randomUUID(), providerKey: 'schwab', status: 'active' },
            { accessToken: `bench-at-${k}`, refreshToken: `rt-${k}`, expiresIn: 86_400 },
          );
        }
      });
    }

    const rows: string[] = [];
    for (const instances of [1, 2]) {
      await ds.query(`DELETE FROM brokerage_accounts`);
      await ds.query(`DELETE FROM connection_events`);
      await ds.query(`DELETE FROM connection_syncs`);
      standIn.requests.length = 0;
      const results = await runInstances(instances, standIn.url);
      const wall =
        (Math.max(...results.map((r) => r.finishedAt)) -
          Math.min(...results.map((r) => r.startedAt))) /
        1000;
      const [{ written }] = await ds.query(
        `SELECT (SELECT count(*) FROM brokerage_accounts) + (SELECT count(*) FROM account_positions)
           + (SELECT count(*) FROM account_transactions) + (SELECT count(*) FROM account_balances) AS written`,
      );
      const perToken = new Map<string, number>();
      for (const r of standIn.requests.filter((x) => x.path.endsWith('/accountNumbers')))
        perToken.set(r.token!, (perToken.get(r.token!) ?? 0) + 1);
      const twice = [...perToken.values()].filter((n) => n > 1).length;
      const synced = results.reduce((s, r) => s + r.synced, 0);
      rows.push(
        `| ${instances} | ${wall.toFixed(1)} s | ${synced} (${results.map((r) => r.synced).join(' / ')}) | ${Number(written).toLocaleString('en-US')} | ${Math.round(Number(written) / wall).toLocaleString('en-US')} | ${(synced / wall).toFixed(1)} | ${standIn.requests.length} | ${twice} |`,
      );
      if (synced !== N || twice !== 0 || perToken.size !== N)
        console.error(
          `!! expected ${N} connections synced once each, got synced=${synced} distinct=${perToken.size} twice=${twice}`,
        );
    }
    console.log(
      `\nFull sync of ${N} connections × ${ACCOUNTS} accounts × ${M} transactions (batch ${BATCH}, concurrency ${CONCURRENCY} per instance):\n`,
    );
    console.log(
      '| instances | wall time | connections synced (per instance) | rows written | rows/s | connections/s | brokerage calls | synced twice |',
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const r of rows) console.log(r);

    console.log(`\nSeeding one account with ${ROWS.toLocaleString('en-US')} transactions…`);
    const registration = app.get(mods.RegistrationService);
    const email = `bench-${process.pid}@example.test`;
    const password = 'correct horse battery staple';
    const user = await registration.createAdmin(email, password);
    const login = await app
      .get(mods.LoginService)
      .login({ email, password }, { ip: '127.0.0.1', userAgent: 'bench' });
    const [{ id: connectionId }] = await ds.query(`SELECT id FROM provider_connections LIMIT 1`);
    await ds.query(`UPDATE provider_connections SET user_id = $1 WHERE id = $2`, [
      user.id,
      connectionId,
    ]);
    const [{ id: accountId }] = await ds
      .query(`UPDATE brokerage_accounts SET user_id = $1 WHERE connection_id = $2 RETURNING id`, [
        user.id,
        connectionId,
      ])
      .then((r: [Array<{ id: string }>, number]) => r[0]);
    // Bulk rows straight through SQL on a connection of our own (no statement timeout), in chunks.
    const bulk = new Client({ connectionString: dbUrl });
    await bulk.connect();
    for (let from = 1; from <= ROWS; from += 200_000) {
      await bulk.query(
        `INSERT INTO account_transactions (account_id, external_id, date, type, description, symbol, quantity, price, amount, currency)
         SELECT $1, 'bulk-' || g, DATE '2026-01-01' - (g / 300), (ARRAY['trade','dividend','transfer','fee'])[1 + g % 4],
           'bulk', 'AAPL', 1, 10.5, -10.5, 'USD'
         FROM generate_series($2::int, $3::int) g`,
        [accountId, from, Math.min(ROWS, from + 199_999)],
      );
    }
    await bulk.query(`VACUUM ANALYZE account_transactions`);
    await bulk.end();
    const [deep] = await ds.query(
      `SELECT to_char(date, 'YYYY-MM-DD') AS date, id FROM account_transactions WHERE account_id = $1 ORDER BY date DESC, id DESC OFFSET $2 LIMIT 1`,
      [accountId, Math.floor(ROWS * 0.9)],
    );
    const cursor = Buffer.from(`${deep.date}|${deep.id}`).toString('base64url');
    const headers = { authorization: `Bearer ${login.accessToken}` };
    const url = `${base}/accounts/${accountId}/transactions?limit=50`;
    await timeRequests(url, headers); // warm-up
    const first = await timeRequests(url, headers);
    const deepT = await timeRequests(`${url}&cursor=${cursor}`, headers);
    const typed = await timeRequests(`${url}&type=fee&cursor=${cursor}`, headers);
    console.log(
      `\nGET /accounts/:id/transactions?limit=50 on ${ROWS.toLocaleString('en-US')} rows, ${REQUESTS} sequential requests each:\n`,
    );
    console.log('| page | median | p99 |');
    console.log('| --- | --- | --- |');
    console.log(
      `| first page | ${pct(first, 50).toFixed(2)} ms | ${pct(first, 99).toFixed(2)} ms |`,
    );
    console.log(
      `| deep cursor (row ${Math.floor(ROWS * 0.9).toLocaleString('en-US')}) | ${pct(deepT, 50).toFixed(2)} ms | ${pct(deepT, 99).toFixed(2)} ms |`,
    );
    console.log(
      `| deep cursor, type=fee | ${pct(typed, 50).toFixed(2)} ms | ${pct(typed, 99).toFixed(2)} ms |`,
    );
    await app.close();
  } finally {
    await standIn.stop();
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

/**
 * Bystander latency while one user's forced refreshes wait on a slow brokerage (docs/providers.md has the table).
 *
 *   node -r ./scripts/register-ts.cjs bench/bystander.ts [--refreshes 50] [--delay 4000] [--pool 10]
 *
 * One app instance (HTTP on 127.0.0.1) on a scratch database; a mock token endpoint that answers after `--delay`
 * ms. User A fires `--refreshes` forced refreshes of as many connections at once; while they wait, user B calls
 * GET /api/v1/auth/me in a loop (4 at a time). Reported: B's p50/p99/max, and A's refresh statuses. The per-user
 * cap is raised to `--refreshes` so the pool, not the cap, is what is measured; `--default-cap` keeps the cap.
 * Uses only APIs that exist before and after the refresh redesign, so the same file measures both.
 */
import 'reflect-metadata';
import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Client } from 'pg';
import { benchDatabase, numberArg } from './measure';

const arg = numberArg;
const REFRESHES = arg('refreshes', 50);
const DELAY = arg('delay', 4000);
const POOL = arg('pool', 10);
const { adminUrl, dbName, dbUrl } = benchDatabase('bystander');

function startMock(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [`${__dirname}/refresh-mock-brokerage.mjs`], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, MOCK_DELAY_MS: String(DELAY) },
  });
  return new Promise((resolve) =>
    createInterface({ input: child.stdout }).once('line', (url) =>
      resolve({ url: url.trim(), child }),
    ),
  );
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

async function main(): Promise<void> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${dbName}"`);
  const mock = await startMock();
  let app: NestExpressApplication | undefined;
  try {
    Object.assign(process.env, {
      NODE_ENV: 'development',
      LOG_LEVEL: 'error',
      LOG_PRETTY: 'false',
      DATABASE_URL: dbUrl,
      DATABASE_POOL_SIZE: String(POOL),
      DATABASE_MIGRATIONS_RUN: 'true',
      SCHWAB_CLIENT_ID: 'BenchAppKey',
      SCHWAB_CLIENT_SECRET: 'BenchAppSecret',
      SCHWAB_ISSUER: mock.url,
      SCHWAB_AUTHORIZE_URL: `${mock.url}/authorize`,
      SCHWAB_TOKEN_URL: `${mock.url}/token`,
      SCHWAB_RATE_PER_MINUTE: '1000000',
      PROVIDERS_ALLOW_INSECURE_HTTP: 'true',
      SANDBOX_ENABLED: 'false',
      TOKEN_SWEEP_ENABLED: 'false',
      ...(process.argv.includes('--default-cap')
        ? {}
        : {
            TOKEN_FORCED_REFRESHES_PER_USER: String(REFRESHES),
            TOKEN_USER_RATE_SHARE_PERCENT: '100',
          }),
    });
    /* eslint-disable @typescript-eslint/no-require-imports -- loaded after process.env is final */
    const { AppModule } = require('../src/app.module');
    const { configureApp, APP_OPTIONS } = require('../src/app.setup');
    const { Transactions } = require('../src/database/transactions');
    const { TokensService } = require('../src/modules/tokens/tokens.service');
    const { RegistrationService } = require('../src/modules/auth/registration.service');
    const { LoginService } = require('../src/modules/auth/login.service');
    /* eslint-enable @typescript-eslint/no-require-imports */
    app = await NestFactory.create<NestExpressApplication>(AppModule, {
      ...APP_OPTIONS,
      logger: ['error'],
    });
    configureApp(app);
    await app.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}/api/v1`;

    const user = async (email: string) => {
      const auth = app!.get(RegistrationService);
      const registered = await auth.register(
        { email, password: 'correct horse battery staple' },
        {},
      );
      await app!
        .get(Transactions)
        .run((tx: { manager: { query: (q: string, p: unknown[]) => Promise<unknown> } }) =>
          tx.manager.query(`UPDATE users SET email_verified_at = now() WHERE id = $1`, [
            registered.id,
          ]),
        );
      const pair = await app!
        .get(LoginService)
        .login({ email, password: 'correct horse battery staple' }, {});
      return { id: registered.id as string, header: `Bearer ${pair.accessToken as string}` };
    };
    const owner = await user(`owner-${randomUUID()}@bench.test`);
    const bystander = await user(`bystander-${randomUUID()}@bench.test`);
    const ids: string[] = [];
    await app
      .get(Transactions)
      .run(async (t: { manager: { query: (q: string, p: unknown[]) => Promise<unknown> } }) => {
        for (let i = 0; i < REFRESHES; i++) {
          const id = randomUUID();
          await t.manager.query(
            `INSERT INTO provider_connections (id, user_id, provider_key, status, created_at, updated_at) VALUES ($1, $2, 'schwab', 'active', now(), now())`,
            [id, owner.id],
          );
          await app!
            .get(TokensService)
            .storeFromExchange(
              t.manager,
              { id, userId: owner.id, providerKey: 'schwab', status: 'active' },
              { accessToken: `at-${i}`, refreshToken: `rt-${i}`, expiresIn: 1800 },
            );
          ids.push(id);
        }
      });
    const me = () => fetch(`${base}/auth/me`, { headers: { authorization: bystander.header } });
    for (let i = 0; i < 20; i++) await (await me()).arrayBuffer(); // warm-up

    let done = false;
    const refreshes = Promise.all(
      ids.map((id) =>
        fetch(`${base}/providers/${id}/token/refresh`, {
          method: 'POST',
          headers: { authorization: owner.header },
        }).then(async (r) => (await r.arrayBuffer(), r.status)),
      ),
    ).finally(() => (done = true));
    await new Promise((r) => setTimeout(r, 200)); // the refreshes are in flight
    const latencies: number[] = [];
    const statuses = new Map<number, number>();
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (!done) {
          const t = performance.now();
          const res = await me();
          await res.arrayBuffer();
          if (!done) latencies.push(performance.now() - t);
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        }
      }),
    );
    const refreshStatuses = new Map<number, number>();
    for (const s of await refreshes) refreshStatuses.set(s, (refreshStatuses.get(s) ?? 0) + 1);
    latencies.sort((a, b) => a - b);
    const fmt = (m: Map<number, number>) => [...m].map(([s, n]) => `${n}× ${s}`).join(', ');
    console.log(
      `\nBystander GET /auth/me while ${REFRESHES} forced refreshes wait on a ${DELAY} ms brokerage (pool ${POOL}):\n`,
    );
    console.log('| requests | p50 | p99 | max | bystander statuses | refresh statuses |');
    console.log('| --- | --- | --- | --- | --- | --- |');
    console.log(
      `| ${latencies.length} | ${pct(latencies, 50).toFixed(1)} ms | ${pct(latencies, 99).toFixed(1)} ms | ${(latencies.at(-1) ?? 0).toFixed(1)} ms | ${fmt(statuses)} | ${fmt(refreshStatuses)} |`,
    );
  } finally {
    await app?.close();
    mock.child.kill('SIGTERM');
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
  }
}

void main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);

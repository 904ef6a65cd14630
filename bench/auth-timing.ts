/**
 * Enumeration by timing on the "always 202" routes (figures in docs/auth.md):
 *
 *   node -r ./scripts/register-ts.cjs bench/auth-timing.ts [--rounds 300]
 *
 * POST /auth/verify-email/resend and /auth/password-reset/request, for an existing account and for an unknown
 * email, interleaved one request at a time against the real AppModule (in process, loopback), and prints the
 * median and p90 latency of each. A scratch database (ADMIN_DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/postgres) is created, migrated and dropped.
 */
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Client } from 'pg';
import type * as AppModuleFile from '../src/app.module';
import type * as AppSetupFile from '../src/app.setup';

const DB = 'dashtam_bench_auth_timing';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const i = argv.indexOf('--rounds');
  const rounds = i >= 0 ? Number(argv[i + 1]) : 300;
  const adminUrl = process.env.ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const dbUrl = new URL(adminUrl);
  dbUrl.pathname = `/${DB}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${DB}`);
  Object.assign(process.env, {
    DATABASE_URL: dbUrl.toString(),
    DATABASE_MIGRATIONS_RUN: 'true',
    AUTH_THROTTLE_IP_LIMIT: '1000000',
    AUTH_THROTTLE_ACCOUNT_LIMIT: '1000000',
    AUTH_THROTTLE_ACCOUNT_GLOBAL_LIMIT: '1000000',
  });
  // Loaded after the environment is set: ConfigModule reads it when app.module is first evaluated.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- must run after process.env is set
  const { AppModule } = require('../src/app.module') as typeof AppModuleFile;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- idem
  const { APP_OPTIONS, configureApp } = require('../src/app.setup') as typeof AppSetupFile;
  const app = await NestFactory.create<NestExpressApplication>(AppModule, {
    ...APP_OPTIONS,
    logger: false,
  });
  configureApp(app);
  await app.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}/api/v1/auth/`;
  const post = async (path: string, body: object): Promise<number> => {
    const t0 = process.hrtime.bigint();
    const res = await fetch(base + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    await res.arrayBuffer();
    if (res.status !== 202 && res.status !== 201) throw new Error(`${path}: ${res.status}`);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  try {
    const known = 'timing-known@example.test';
    await post('register', { email: known, password: 'benchmark passphrase 1' }); // unverified
    const cases = {
      'resend, existing unverified': () => post('verify-email/resend', { email: known }),
      'resend, unknown email': () =>
        post('verify-email/resend', { email: `nobody-${Math.random()}@example.test` }),
      'reset request, existing': () => post('password-reset/request', { email: known }),
      'reset request, unknown email': () =>
        post('password-reset/request', { email: `nobody-${Math.random()}@example.test` }),
    };
    const samples: Record<string, number[]> = {};
    for (const name of Object.keys(cases)) samples[name] = [];
    for (let r = 0; r < 30; r++) for (const run of Object.values(cases)) await run(); // warm-up
    for (let r = 0; r < rounds; r++)
      for (const [name, run] of Object.entries(cases)) samples[name].push(await run());
    const q = (xs: number[], p: number) =>
      [...xs].sort((a, b) => a - b)[Math.floor(p * (xs.length - 1))];
    console.log(`| case | median ms | p90 ms |  (${rounds} interleaved rounds)`);
    console.log('| --- | --- | --- |');
    for (const [name, xs] of Object.entries(samples))
      console.log(`| ${name} | ${q(xs, 0.5).toFixed(2)} | ${q(xs, 0.9).toFixed(2)} |`);
  } finally {
    await app.close();
    await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
    await admin.end();
  }
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});

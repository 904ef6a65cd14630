/**
 * HTTP benchmark of an authenticated route at the **default production configuration** (NODE_ENV=production,
 * LOG_LEVEL unset = info, JSON request logs written to the process's stdout): GET /api/v1/providers with a bearer
 * token, which verifies the JWT, checks the session (one query) and lists the user's 10 connections (one query).
 *
 *   node -r ./scripts/register-ts.cjs bench/http-providers.ts [--duration 10] [--connections 50] [--rounds 3]
 *     [--only app,bare-fastify] [--profile <dir>]   (a .cpuprofile per server and round, of the measured phase; bench/cpuprofile-top.ts reads it)
 *
 * Targets, each in its own child process, measured once per round, rounds interleaved, median of the rounds:
 *   bare-fastify  Fastify 5 + pg Pool (10) + jose: the same JWT verification, the same two queries, the same JSON
 *   app           the real AppModule + configureApp, production defaults (request logging at info)
 *   app-warn      the same with LOG_LEVEL=warn: the difference to `app` is the cost of info-level request logging
 * Server stdout goes to /dev/null (a log collector's pipe would cost the same writes). Reported: req/s, p50/p99 and
 * the server process's CPU time per request (from /proc; the steadier figure on a shared machine).
 * A scratch database (ADMIN_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres) is created,
 * migrated, seeded and dropped. Loopback only; every load phase is bounded by --duration.
 * (Over 300 lines: the servers and the driver share one file because the driver re-runs it with --serve.)
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { Client, Pool } from 'pg';
import { DataSource } from 'typeorm';
import { AppModule } from '../src/app.module';
import { APP_OPTIONS, configureApp } from '../src/app.setup';
import { SystemClock } from '../src/common/clock';
import { loadConfig } from '../src/config';
import { buildDataSourceOptions } from '../src/database/data-source.options';
import { AccessTokenService } from '../src/modules/auth/access-token.service';
import { FIND_LIVE_SQL } from '../src/modules/auth/sessions.repository';
import { LIST_OWNED_SQL } from '../src/modules/connections/connections.repository';
import { generateKey } from '../src/modules/encryption/fernet';
import { cpuSeconds, median } from './measure';

const TARGETS = ['bare-fastify', 'app', 'app-warn'] as const;
type Target = (typeof TARGETS)[number];
const ROOT = join(__dirname, '..');
const DB = 'dashtam_bench_providers';
const POOL_SIZE = 10; // the app's DATABASE_POOL_SIZE default
const ROUTE = '/api/v1/providers';

// ---- server side: `--serve <target>` sends {port} over IPC once listening -------------------------------

async function serveApp(): Promise<number> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule, APP_OPTIONS);
  configureApp(app);
  await app.listen(0, '127.0.0.1');
  return (app.getHttpServer().address() as { port: number }).port;
}

async function serveBare(): Promise<number> {
  const config = loadConfig();
  // The key imported once, as the app does (jose would import raw bytes on every verify).
  const keys = new Map(
    config.auth.jwtKeys.map((k) => [
      k.kid,
      createSecretKey(k.secret).toCryptoKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['verify']),
    ]),
  );
  const pool = new Pool({ connectionString: config.database.url, max: POOL_SIZE });
  const app = Fastify({ logger: false });
  const unauthorized = { status: 401, code: 'unauthorized' };
  app.get(ROUTE, async (req, reply) => {
    const m = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/.exec(
      req.headers.authorization ?? '',
    );
    if (!m) return reply.code(401).send(unauthorized);
    let userId: string;
    let sessionId: string;
    try {
      const key = keys.get(decodeProtectedHeader(m[1]).kid ?? '');
      if (!key) return reply.code(401).send(unauthorized);
      const { payload } = await jwtVerify(m[1], key, {
        algorithms: ['HS256'],
        issuer: config.auth.issuer,
        audience: config.auth.audience,
        typ: 'at+jwt',
        clockTolerance: 5,
        requiredClaims: ['sub', 'sid', 'exp', 'iat'],
      });
      userId = payload.sub as string;
      sessionId = payload.sid as string;
    } catch {
      return reply.code(401).send(unauthorized);
    }
    const live = await pool.query(FIND_LIVE_SQL, [sessionId, userId, new Date()]);
    if (!live.rowCount) return reply.code(401).send(unauthorized);
    const { rows } = await pool.query(LIST_OWNED_SQL, [userId, 21]);
    const items = rows.slice(0, 20).map((r: Record<string, never>) => ({
      id: r.id,
      providerKey: r.provider_key,
      alias: r.alias,
      status: r.status,
      statusReason: r.status_reason,
      connectedAt: (r.connected_at as Date | null)?.toISOString() ?? null,
      lastSyncedAt: (r.last_synced_at as Date | null)?.toISOString() ?? null,
      syncStatus: r.sync_status,
      syncStatusReason: r.sync_status_reason,
      createdAt: (r.created_at as Date).toISOString(),
      updatedAt: (r.updated_at as Date).toISOString(),
    }));
    return { items, nextCursor: null };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return (app.server.address() as { port: number }).port;
}

/** `--profile <dir>`: the driver asks the server to profile the measured phase only (node:inspector). */
function serveProfiler(): void {
  const session = new Session();
  session.connect();
  const post = (method: string): Promise<unknown> =>
    new Promise((resolve, reject) =>
      session.post(method, (err, res) => (err ? reject(err) : resolve(res))),
    );
  process.on('message', (m: { profile?: 'start' | 'stop'; file?: string }) => {
    const done =
      m.profile === 'start'
        ? post('Profiler.enable').then(() => post('Profiler.start'))
        : post('Profiler.stop').then((r) =>
            writeFileSync(m.file!, JSON.stringify((r as { profile: object }).profile)),
          );
    void done.then(() => process.send!({ profiled: m.profile }));
  });
}

// ---- driver ---------------------------------------------------------------------------------------------

interface Options {
  duration: number;
  warmup: number;
  connections: number;
  rounds: number;
  profileDir?: string;
  only?: Target[];
}

interface Measurement {
  rps: number;
  cpuUs: number;
  p50: number;
  p99: number;
  bad: number;
}

function parseOptions(argv: string[]): Options {
  const get = (name: string, fallback: number, max: number): number => {
    const i = argv.indexOf(`--${name}`);
    if (i < 0) return fallback;
    const n = Number(argv[i + 1]);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
    return Math.min(n, max);
  };
  return {
    duration: get('duration', 10, 60),
    warmup: get('warmup', 3, 30),
    connections: get('connections', 50, 256),
    rounds: get('rounds', 3, 7),
    profileDir: argv.includes('--profile') ? argv[argv.indexOf('--profile') + 1] : undefined,
    only: argv.includes('--only') ? targetList(argv[argv.indexOf('--only') + 1]) : undefined,
  };
}

function targetList(value: string | undefined): Target[] {
  const list = (value ?? '').split(',');
  const unknown = list.filter((t) => !(TARGETS as readonly string[]).includes(t));
  if (unknown.length)
    throw new Error(`--only takes a comma-separated list of ${TARGETS.join(', ')}`);
  return list as Target[];
}

/** Production settings: real-looking secrets (placeholders are refused), nothing else set. */
function productionEnv(databaseUrl: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    JWT_SIGNING_KEYS: `bench:${randomBytes(32).toString('base64url')}`,
    ENCRYPTION_KEYS: generateKey(),
    SMTP_URL: 'smtp://127.0.0.1:2525', // never contacted: this route sends no mail
    PUBLIC_URL: 'https://api.bench.test',
  };
}

async function prepare(adminUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${DB}`);
  const url = new URL(adminUrl);
  url.pathname = `/${DB}`;
  const ds = await new DataSource(
    buildDataSourceOptions(url.toString(), { poolSize: 1 }),
  ).initialize();
  await ds.runMigrations({ transaction: 'each' });
  await ds.destroy();
  return {
    url: url.toString(),
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** One verified user, one live session, ten connections; returns a bearer token for that session. */
async function seed(env: Record<string, string>): Promise<string> {
  const pg = new Client({ connectionString: env.DATABASE_URL });
  await pg.connect();
  const userId = randomUUID();
  const sessionId = randomUUID();
  await pg.query(
    `INSERT INTO users (id, email, password_hash, email_verified_at) VALUES ($1, 'bench@example.test', 'x', now())`,
    [userId],
  );
  await pg.query(
    `INSERT INTO sessions (id, user_id, refresh_hash, created_at, last_used_at, idle_expires_at, absolute_expires_at)
     VALUES ($1, $2, $3, now(), now(), now() + interval '1 day', now() + interval '1 day')`,
    [sessionId, userId, randomBytes(16).toString('hex')],
  );
  for (let i = 0; i < 10; i++) {
    await pg.query(
      `INSERT INTO provider_connections (id, user_id, provider_key, alias, status, connected_at, created_at, updated_at)
       VALUES ($1, $2, 'schwab', $3, 'active', now(), now() - make_interval(secs => $4), now())`,
      [randomUUID(), userId, `account ${i}`, i],
    );
  }
  await pg.end();
  const tokens = new AccessTokenService(loadConfig(env), new SystemClock());
  return tokens.sign({ userId, sessionId });
}

function start(
  target: Target,
  env: Record<string, string>,
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    ['-r', join(ROOT, 'scripts', 'register-ts.cjs'), __filename, '--serve', target],
    {
      cwd: ROOT,
      env: target === 'app-warn' ? { ...env, LOG_LEVEL: 'warn' } : env,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${target} did not start within 60 s\n${stderr}`));
    }, 60_000);
    child.once('message', (m: { port: number }) => {
      clearTimeout(timer);
      resolve({ child, port: m.port });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${target} exited with code ${code}\n${stderr}`));
    });
  });
}

/** One IPC request to the server child, answered by one message. */
function ask(child: ChildProcess, message: object): Promise<unknown> {
  return new Promise((resolve) => {
    child.once('message', resolve);
    child.send(message);
  });
}

async function stop(child: ChildProcess): Promise<void> {
  child.removeAllListeners('exit');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

async function measure(
  target: Target,
  env: Record<string, string>,
  token: string,
  o: Options,
): Promise<Measurement> {
  const { child, port } = await start(target, env);
  try {
    const url = `http://127.0.0.1:${port}${ROUTE}`;
    const headers = { authorization: `Bearer ${token}` };
    const check = await fetch(url, { headers });
    const body = (await check.json()) as { items?: unknown[] };
    if (check.status !== 200 || body.items?.length !== 10) {
      throw new Error(`${target}: GET ${ROUTE} answered ${check.status} ${JSON.stringify(body)}`);
    }
    await autocannon({ url, headers, connections: o.connections, duration: o.warmup });
    if (o.profileDir) await ask(child, { profile: 'start' });
    const before = cpuSeconds(child.pid);
    const r = await autocannon({ url, headers, connections: o.connections, duration: o.duration });
    const cpu = cpuSeconds(child.pid) - before;
    if (o.profileDir) {
      const file = join(o.profileDir, `${target}-${Date.now()}.cpuprofile`);
      await ask(child, { profile: 'stop', file });
      process.stderr.write(` [profile ${file}]`);
    }
    return {
      rps: r.requests.average,
      cpuUs: (cpu / r.requests.total) * 1e6,
      p50: r.latency.p50,
      p99: r.latency.p99,
      bad: r.non2xx + r.errors + r.timeouts,
    };
  } finally {
    await stop(child);
  }
}

async function drive(o: Options): Promise<void> {
  const db = await prepare(
    process.env.ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  );
  try {
    const env = productionEnv(db.url);
    const token = await seed(env);
    const results = new Map<Target, Measurement[]>(TARGETS.map((t) => [t, []]));
    // A missing directory would make the child's profile write fail and its IPC answer never come.
    if (o.profileDir) mkdirSync(o.profileDir, { recursive: true });
    const loadBefore = loadavg()[0];
    for (let round = 1; round <= o.rounds; round++) {
      for (const target of o.only ?? TARGETS) {
        process.stderr.write(`round ${round}/${o.rounds}: ${target}...`);
        const m = await measure(target, env, token, o);
        results.get(target)!.push(m);
        process.stderr.write(
          ` ${Math.round(m.rps)} req/s, p99 ${m.p99} ms, ${Math.round(m.cpuUs)} µs CPU/req\n`,
        );
      }
    }
    if (o.only) return; // a partial run while iterating: the per-round lines above are its result
    const s = new Map<Target, Measurement>();
    for (const [t, ms] of results) {
      s.set(t, {
        rps: median(ms.map((m) => m.rps)),
        cpuUs: median(ms.map((m) => m.cpuUs)),
        p50: median(ms.map((m) => m.p50)),
        p99: median(ms.map((m) => m.p99)),
        bad: ms.reduce((a, m) => a + m.bad, 0),
      });
    }
    const bare = s.get('bare-fastify')!;
    const rows = TARGETS.map((t) => {
      const m = s.get(t)!;
      const vs = t === 'bare-fastify' ? '—' : (m.rps / bare.rps).toFixed(2);
      const cpuVs = t === 'bare-fastify' ? '—' : (bare.cpuUs / m.cpuUs).toFixed(2);
      return `| ${t} | ${Math.round(m.rps)} | ${m.p50.toFixed(1)} | ${m.p99.toFixed(1)} | ${Math.round(m.cpuUs)} | ${vs} | ${cpuVs} | ${m.bad} |`;
    });
    const app = s.get('app')!;
    const warn = s.get('app-warn')!;
    process.stdout.write(
      [
        `GET ${ROUTE} (bearer token, session check, 10 rows), NODE_ENV=production, ${o.connections} connections, ${o.duration} s per run after ${o.warmup} s warm-up, median of ${o.rounds} round(s); Node ${process.version}, ${cpus().length} CPUs, 1-min load average ${loadBefore.toFixed(1)} before / ${loadavg()[0].toFixed(1)} after`,
        '',
        '| server | req/s | p50 ms | p99 ms | server CPU µs/req | req/s app/bare | CPU bare/app | non-2xx + errors |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
        ...rows,
        '',
        `info-level request logging (app vs app-warn): ${((1 - app.rps / warn.rps) * 100).toFixed(1)} % of throughput, ${Math.round(app.cpuUs - warn.cpuUs)} µs CPU per request`,
        '',
      ].join('\n'),
    );
  } finally {
    await db.drop();
  }
}

const argv = process.argv.slice(2);
const serveIndex = argv.indexOf('--serve');
const main =
  serveIndex >= 0
    ? (async () => {
        const target = argv[serveIndex + 1] as Target;
        const port = target === 'bare-fastify' ? await serveBare() : await serveApp();
        serveProfiler();
        process.send!({ port });
      })()
    : drive(parseOptions(argv));
main.catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

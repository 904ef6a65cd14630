/**
 * HTTP benchmark: GET /health/ready (one `SELECT 1` round-trip) on the real app versus bare servers doing the
 * same query through `pg`, all in one run, so the table compares like with like on the same machine.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench node -r ./scripts/register-ts.cjs bench/http.ts [--duration 10] [--connections 32] [--rounds 3]
 *
 * Each server runs in its own child process (started with scripts/register-ts.cjs, because Nest's dependency
 * injection needs the decorator metadata that tsx does not emit); autocannon runs here, in the parent. Targets:
 *   bare-express   Express 5 + pg Pool
 *   bare-fastify   Fastify 5 + pg Pool
 *   express-typeorm  bare Express, but the query goes through a TypeORM DataSource built by buildDataSourceOptions
 *                  (what the app does): separates the ORM's cost from Nest's
 *   app-express    the real AppModule + configureApp (Express adapter) — what `npm start` serves
 *   nest-express   a minimal Nest app (Config, Logging, Database, Health) with the adapter-neutral setup
 *   nest-fastify   the same minimal Nest app on @nestjs/platform-fastify (configureApp is Express-specific)
 * Each target is measured once per round, rounds interleaved; the table shows the median across rounds.
 * Besides req/s and latency, the server process's CPU time per request (from /proc) is reported: on a shared
 * 2-core machine throughput moves with whatever else runs, CPU per request much less.
 * Ratios: app-express / bare-express, nest-express / bare-express, nest-fastify / bare-fastify (goal >= 0.6).
 * Loopback only; every load phase is bounded by --duration; children are killed at the end.
 * The authenticated route at the default production configuration (logging on): bench/http-providers.ts.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  INestApplication,
  Module,
  RequestMethod,
  ValidationPipe,
  VersioningType,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import autocannon from 'autocannon';
import express from 'express';
import Fastify from 'fastify';
import { Logger } from 'nestjs-pino';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { AppModule } from '../src/app.module';
import { APP_OPTIONS, configureApp } from '../src/app.setup';
import { ClockModule } from '../src/common/clock';
import { ProblemDetailsFilter } from '../src/common/http/problem-details.filter';
import { LoggingModule } from '../src/common/logging/logging.module';
import { ConfigModule } from '../src/config';
import { buildDataSourceOptions } from '../src/database/data-source.options';
import { DatabaseModule } from '../src/database/database.module';
import { HealthModule } from '../src/modules/health/health.module';
import { cpuSeconds, median } from './measure';

const TARGETS = [
  'bare-express',
  'bare-fastify',
  'express-typeorm',
  'app-express',
  'nest-express',
  'nest-fastify',
] as const;
type Target = (typeof TARGETS)[number];
const ROOT = join(__dirname, '..');
const POOL_SIZE = 10; // the app's DATABASE_POOL_SIZE default, so bare and app hold the same connections

interface Options {
  duration: number;
  warmup: number;
  connections: number;
  rounds: number;
  databaseUrl: string;
}

interface Measurement {
  rps: number;
  /** Server process CPU time (user + system) per request, µs: much less sensitive to other load than req/s. */
  cpuUs: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

// ---------------------------------------------------------------------------------------------------------
// Server side (child process): `bench/http.ts --serve <target>` prints "LISTENING <port>" once ready.
// ---------------------------------------------------------------------------------------------------------

async function serve(target: Target, databaseUrl: string): Promise<void> {
  let port: number;
  switch (target) {
    case 'bare-express':
      port = await serveBareExpress(databaseUrl);
      break;
    case 'bare-fastify':
      port = await serveBareFastify(databaseUrl);
      break;
    case 'express-typeorm':
      port = await serveExpressTypeorm(databaseUrl);
      break;
    case 'app-express':
      port = await serveApp();
      break;
    case 'nest-express':
    case 'nest-fastify':
      port = await serveMinimalNest(target === 'nest-fastify');
      break;
  }
  process.stdout.write(`LISTENING ${port}\n`);
}

async function serveBareExpress(databaseUrl: string): Promise<number> {
  const pool = new Pool({ connectionString: databaseUrl, max: POOL_SIZE });
  const app = express();
  app.get('/health/ready', (_req, res) => {
    pool.query('SELECT 1').then(
      () => res.json({ status: 'ok', database: 'up' }),
      () => res.status(503).json({ status: 'error' }),
    );
  });
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () =>
      resolve((server.address() as { port: number }).port),
    );
  });
}

async function serveExpressTypeorm(databaseUrl: string): Promise<number> {
  const dataSource = await new DataSource(
    buildDataSourceOptions(databaseUrl, { poolSize: POOL_SIZE }),
  ).initialize();
  const app = express();
  app.get('/health/ready', (_req, res) => {
    dataSource.query('SELECT 1').then(
      () => res.json({ status: 'ok', database: 'up' }),
      () => res.status(503).json({ status: 'error' }),
    );
  });
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () =>
      resolve((server.address() as { port: number }).port),
    );
  });
}

async function serveBareFastify(databaseUrl: string): Promise<number> {
  const pool = new Pool({ connectionString: databaseUrl, max: POOL_SIZE });
  const app = Fastify({ logger: false });
  app.get('/health/ready', async (_req, reply) => {
    try {
      await pool.query('SELECT 1');
      return { status: 'ok', database: 'up' };
    } catch {
      return reply.code(503).send({ status: 'error' });
    }
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return (app.server.address() as { port: number }).port;
}

async function serveApp(): Promise<number> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule, APP_OPTIONS);
  configureApp(app);
  await app.listen(0, '127.0.0.1');
  return (app.getHttpServer().address() as { port: number }).port;
}

@Module({ imports: [ClockModule, ConfigModule, DatabaseModule, HealthModule, LoggingModule] })
class MinimalModule {}

/**
 * The same modules and global setup on either adapter. Only adapter-neutral pieces of configureApp are used
 * (prefix, versioning, ValidationPipe, problem filter); helmet/body-parser/trust-proxy are Express calls.
 */
async function serveMinimalNest(fastify: boolean): Promise<number> {
  let app: INestApplication;
  if (fastify) {
    app = await NestFactory.create(MinimalModule, new FastifyAdapter(), { bufferLogs: true });
  } else {
    app = await NestFactory.create(MinimalModule, { bufferLogs: true });
  }
  app.useLogger(app.get(Logger));
  app.setGlobalPrefix('api', {
    exclude: [
      { path: 'health', method: RequestMethod.ALL },
      { path: 'health/{*rest}', method: RequestMethod.ALL },
    ],
  });
  app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }),
  );
  app.useGlobalFilters(new ProblemDetailsFilter());
  await app.listen(0, '127.0.0.1');
  return (app.getHttpServer().address() as { port: number }).port;
}

// ---------------------------------------------------------------------------------------------------------
// Driver side (parent process)
// ---------------------------------------------------------------------------------------------------------

function parseOptions(argv: string[]): Options {
  const get = (name: string, fallback: number): number => {
    const i = argv.indexOf(`--${name}`);
    if (i < 0) return fallback;
    const n = Number(argv[i + 1]);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
    return n;
  };
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl)
    throw new Error(
      'set DATABASE_URL to a PostgreSQL database (e.g. postgres://postgres@127.0.0.1:5432/bench)',
    );
  return {
    duration: Math.min(get('duration', 10), 60),
    warmup: Math.min(get('warmup', 3), 30),
    connections: Math.min(get('connections', 32), 256),
    rounds: Math.min(get('rounds', 3), 7),
    databaseUrl,
  };
}

interface Server {
  child: ChildProcess;
  port: number;
}

function start(target: Target, options: Options): Promise<Server> {
  const child = spawn(
    process.execPath,
    ['-r', join(ROOT, 'scripts', 'register-ts.cjs'), __filename, '--serve', target],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: options.databaseUrl,
        DATABASE_POOL_SIZE: String(POOL_SIZE),
        DATABASE_MIGRATIONS_RUN: 'false',
        NODE_ENV: 'development',
        LOG_LEVEL: 'silent',
        LOG_PRETTY: 'false',
        // Background work would add database load that the bare servers do not have.
        TOKEN_SWEEP_ENABLED: 'false',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${target} did not start within 60 s\n${stderr}`));
    }, 60_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^LISTENING (\d+)$/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${target} exited with code ${code}\n${stderr}`));
    });
  });
}

async function stop(server: Server): Promise<void> {
  server.child.removeAllListeners('exit');
  const exited = new Promise<void>((resolve) => server.child.once('exit', () => resolve()));
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

async function measure(target: Target, options: Options): Promise<Measurement> {
  const server = await start(target, options);
  try {
    const url = `http://127.0.0.1:${server.port}/health/ready`;
    const check = await fetch(url);
    if (check.status !== 200)
      throw new Error(`${target}: GET /health/ready answered ${check.status}`);
    await autocannon({ url, connections: options.connections, duration: options.warmup });
    const cpuBefore = cpuSeconds(server.child.pid);
    const r = await autocannon({
      url,
      connections: options.connections,
      duration: options.duration,
    });
    const cpu = cpuSeconds(server.child.pid) - cpuBefore;
    return {
      rps: r.requests.average,
      cpuUs: (cpu / r.requests.total) * 1e6,
      p50: r.latency.p50,
      p99: r.latency.p99,
      non2xx: r.non2xx,
      errors: r.errors + r.timeouts,
    };
  } finally {
    await stop(server);
  }
}

async function drive(options: Options): Promise<void> {
  const results = new Map<Target, Measurement[]>(TARGETS.map((t) => [t, []]));
  const loadBefore = loadavg()[0];
  // Rounds interleave the targets so slow drift of the machine is spread over all of them.
  for (let round = 1; round <= options.rounds; round++) {
    for (const target of TARGETS) {
      process.stderr.write(`round ${round}/${options.rounds}: ${target}...`);
      const m = await measure(target, options);
      results.get(target)!.push(m);
      process.stderr.write(
        ` ${Math.round(m.rps)} req/s, p99 ${m.p99} ms, ${Math.round(m.cpuUs)} µs CPU/req\n`,
      );
    }
  }
  const summary = new Map<Target, Measurement>();
  for (const [target, ms] of results) {
    summary.set(target, {
      rps: median(ms.map((m) => m.rps)),
      cpuUs: median(ms.map((m) => m.cpuUs)),
      p50: median(ms.map((m) => m.p50)),
      p99: median(ms.map((m) => m.p99)),
      non2xx: ms.reduce((a, m) => a + m.non2xx, 0),
      errors: ms.reduce((a, m) => a + m.errors, 0),
    });
  }
  const baseline: Record<Target, Target | undefined> = {
    'bare-express': undefined,
    'bare-fastify': undefined,
    'express-typeorm': 'bare-express',
    'app-express': 'bare-express',
    'nest-express': 'bare-express',
    'nest-fastify': 'bare-fastify',
  };
  const rows = TARGETS.map((t) => {
    const s = summary.get(t)!;
    const base = baseline[t];
    const b = base ? summary.get(base)! : undefined;
    const ratio = b ? (s.rps / b.rps).toFixed(2) : '—';
    const cpuRatio = b ? (b.cpuUs / s.cpuUs).toFixed(2) : '—';
    return `| ${t} | ${base ?? '—'} | ${Math.round(s.rps)} | ${s.p50.toFixed(1)} | ${s.p99.toFixed(1)} | ${Math.round(s.cpuUs)} | ${ratio} | ${cpuRatio} | ${s.non2xx + s.errors} |`;
  });
  const lines = [
    `GET /health/ready, ${options.connections} connections, ${options.duration} s per run after ${options.warmup} s warm-up, median of ${options.rounds} round(s); Node ${process.version}, ${cpus().length} CPUs, 1-min load average ${loadBefore.toFixed(1)} before / ${loadavg()[0].toFixed(1)} after`,
    '',
    '| server | baseline | req/s | p50 ms | p99 ms | server CPU µs/req | req/s ratio app/bare | CPU efficiency bare/app | non-2xx + errors |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

const argv = process.argv.slice(2);
const serveIndex = argv.indexOf('--serve');
const main =
  serveIndex >= 0
    ? serve(argv[serveIndex + 1] as Target, process.env.DATABASE_URL ?? '')
    : (async () => drive(parseOptions(argv)))();
main.catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

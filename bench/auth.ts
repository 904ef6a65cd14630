/**
 * Auth benchmark (figures in docs/auth.md):
 *
 *   node -r ./scripts/register-ts.cjs bench/auth.ts [--duration 5] [--connections 1,4,16] [--me-connections 16]
 *
 * In one run, on the same machine:
 *   1. argon2id cost: median time of one hash and one verify at the production parameters (m=19456, t=2, p=1);
 *   2. POST /auth/login  req/s and p99 at each concurrency level (login cannot beat the hash), and the latency
 *      of known-email, unknown-email and wrong-password logins interleaved one at a time (no enumeration by timing);
 *   3. POST /auth/refresh req/s and p99 at each level (every request rotates a distinct pre-issued token);
 *   4. GET /auth/me with the per-request session check versus the same route with it disabled
 *      (AUTH_SESSION_CHECK=false, a bench-only switch refused in production), interleaved rounds.
 * The API runs in child processes (real AppModule + configureApp, started through scripts/register-ts.cjs for
 * decorator metadata); autocannon runs here. A scratch database (ADMIN_DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/postgres) is created, migrated and dropped. Loopback only.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { hash, verify } from '@node-rs/argon2';
import autocannon from 'autocannon';
import { Client } from 'pg';
import { AppModule } from '../src/app.module';
import { APP_OPTIONS, configureApp } from '../src/app.setup';
import { ARGON2_OPTIONS } from '../src/modules/auth/password.service';

const ROOT = join(__dirname, '..');
const DB = 'dashtam_bench_auth';

// ---- server side: `bench/auth.ts --serve` prints "LISTENING <port>" --------------------------------------

async function serve(): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule, {
    ...APP_OPTIONS,
    logger: false,
  });
  configureApp(app);
  await app.listen(0, '127.0.0.1');
  process.stdout.write(`LISTENING ${(app.getHttpServer().address() as { port: number }).port}\n`);
}

// ---- driver --------------------------------------------------------------------------------------------

interface Server {
  child: ChildProcess;
  url: string;
}

function start(databaseUrl: string, extraEnv: Record<string, string>): Promise<Server> {
  const child = spawn(
    process.execPath,
    ['-r', join(ROOT, 'scripts', 'register-ts.cjs'), __filename, '--serve'],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        NODE_ENV: 'development',
        LOG_LEVEL: 'silent',
        LOG_PRETTY: 'false',
        DOCS_ENABLED: 'false',
        // The benchmark measures the work, not the limiter: budgets far above what a run can send.
        AUTH_THROTTLE_IP_LIMIT: '100000000',
        AUTH_THROTTLE_ACCOUNT_LIMIT: '100000000',
        TOKEN_SWEEP_ENABLED: 'false',
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within 90 s\n${stderr}`));
    }, 90_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code})\n${stderr}`));
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^LISTENING (\d+)$/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: `http://127.0.0.1:${m[1]}` });
      }
    });
  });
}

async function post(
  url: string,
  body: object,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function argonCost(samples = 15): Promise<{ hashMs: number; verifyMs: number }> {
  const hashes: number[] = [];
  const verifies: number[] = [];
  let h = '';
  for (let i = 0; i < samples; i++) {
    let t0 = performance.now();
    h = await hash(`bench password ${i}`, ARGON2_OPTIONS);
    hashes.push(performance.now() - t0);
    t0 = performance.now();
    await verify(h, `bench password ${i}`);
    verifies.push(performance.now() - t0);
  }
  return { hashMs: median(hashes), verifyMs: median(verifies) };
}

interface Row {
  what: string;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function cannon(
  what: string,
  opts: Record<string, unknown>,
  connections: number,
  duration: number,
): Promise<Row> {
  type Result = Awaited<ReturnType<typeof autocannon>>;
  const r = await (autocannon as unknown as (o: Record<string, unknown>) => Promise<Result>)({
    ...opts,
    connections,
    duration,
  });
  return {
    what,
    connections,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (name: string, fallback: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : fallback;
  };
  const duration = Number(arg('duration', '5'));
  const levels = arg('connections', '1,4,16').split(',').map(Number);
  const meConnections = Number(arg('me-connections', '16'));
  const adminUrl = process.env.ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const dbUrl = new URL(adminUrl);
  dbUrl.pathname = `/${DB}`;

  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${DB}`);

  const servers: Server[] = [];
  try {
    const checked = await start(dbUrl.toString(), { DATABASE_MIGRATIONS_RUN: 'true' });
    servers.push(checked);
    const api = (s: Server, p: string) => `${s.url}/api/v1/auth/${p}`;

    const argon = await argonCost();

    const email = 'bench@example.test';
    const password = 'benchmark passphrase 1';
    const reg = await post(api(checked, 'register'), { email, password });
    if (reg.status !== 201) throw new Error(`register: ${reg.status}`);
    const loginBody = JSON.stringify({ email, password });

    // Warm-up (JIT, pools, first-use paths) on both servers before anything is measured.
    const headersOf = { 'content-type': 'application/json' };
    await cannon(
      'warm-up',
      { url: api(checked, 'login'), method: 'POST', headers: headersOf, body: loginBody },
      2,
      2,
    );
    await cannon(
      'warm-up',
      {
        url: api(checked, 'login'),
        method: 'POST',
        headers: headersOf,
        body: JSON.stringify({ email: 'nobody@example.test', password }),
      },
      2,
      2,
    );

    // Enumeration by timing: alternate known-email and unknown-email logins one at a time (same load on both).
    const timing = { known: [] as number[], unknown: [] as number[], wrong: [] as number[] };
    for (let i = 0; i < 40; i++) {
      for (const [kind, body] of [
        ['known', { email, password }],
        ['unknown', { email: `nobody-${i}@example.test`, password }],
        ['wrong', { email, password: `wrong ${password}` }],
      ] as const) {
        if (kind === 'wrong' && i % 4 !== 0) continue; // stay below the lockout threshold
        const t0 = performance.now();
        await post(api(checked, 'login'), body);
        timing[kind].push(performance.now() - t0);
      }
    }

    const rows: Row[] = [];
    for (const c of levels) {
      rows.push(
        await cannon(
          'POST /auth/login',
          {
            url: api(checked, 'login'),
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: loginBody,
          },
          c,
          duration,
        ),
      );
    }

    // Refresh: one distinct, valid refresh token per request, issued straight into the sessions table.
    const login = await post(api(checked, 'login'), { email, password });
    const accessToken = String(login.json.accessToken);
    const db = new Client({ connectionString: dbUrl.toString() });
    await db.connect();
    const [{ user_id: userId }] = (
      await db.query(`SELECT id AS user_id FROM users WHERE email = $1`, [email])
    ).rows;
    const perLevel = 40_000;
    const tokens: string[] = [];
    for (let batch = 0; batch < levels.length * perLevel; batch += 10_000) {
      const chunk = Array.from({ length: 10_000 }, () => randomBytes(32).toString('base64url'));
      tokens.push(...chunk);
      await db.query(
        `INSERT INTO sessions (user_id, refresh_hash, created_at, last_used_at, idle_expires_at, absolute_expires_at)
         SELECT $1, h, now(), now(), now() + interval '14 days', now() + interval '60 days' FROM unnest($2::text[]) AS h`,
        [userId, chunk.map((t) => createHash('sha256').update(t).digest('hex'))],
      );
    }
    await db.query('ANALYZE');
    let next = 0;
    for (const c of levels) {
      rows.push(
        await cannon(
          'POST /auth/refresh',
          {
            url: api(checked, 'refresh'),
            requests: [
              {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                setupRequest: (req: Record<string, unknown>) => ({
                  ...req,
                  body: JSON.stringify({ refreshToken: tokens[next++ % tokens.length] }),
                }),
              },
            ],
          },
          c,
          duration,
        ),
      );
    }
    const used = next;

    // GET /auth/me with and without the session check, interleaved to share any drift equally. The second
    // server starts only now, so it cannot disturb the login and refresh cells.
    const unchecked = await start(dbUrl.toString(), {
      DATABASE_MIGRATIONS_RUN: 'false',
      AUTH_SESSION_CHECK: 'false',
    });
    servers.push(unchecked);
    const meOn: Row[] = [];
    const meOff: Row[] = [];
    const headers = { authorization: `Bearer ${accessToken}` };
    for (let round = 0; round < 3; round++) {
      meOn.push(
        await cannon(
          'GET /auth/me (session check)',
          { url: api(checked, 'me'), headers },
          meConnections,
          duration,
        ),
      );
      meOff.push(
        await cannon(
          'GET /auth/me (no check)',
          { url: api(unchecked, 'me'), headers },
          meConnections,
          duration,
        ),
      );
    }
    const best = (rs: Row[]) => rs.reduce((a, b) => (b.rps > a.rps ? b : a));
    const on = best(meOn);
    const off = best(meOff);
    // The session check itself, as the guard runs it (same SQL), one at a time over one connection.
    const sid = (
      JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString()) as { sid: string }
    ).sid;
    const checkTimes: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const t0 = performance.now();
      await db.query(
        `SELECT u.email, u.email_verified_at, u.roles FROM sessions s JOIN users u ON u.id = s.user_id
          WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.idle_expires_at > $3 AND s.absolute_expires_at > $3`,
        [sid, userId, new Date()],
      );
      checkTimes.push(performance.now() - t0);
    }
    const [{ n: sessions }] = (await db.query(`SELECT count(*)::int AS n FROM sessions`)).rows;
    await db.end();

    const f = (n: number, d = 0) => n.toFixed(d);
    const out: string[] = [];
    out.push(
      `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, PostgreSQL on loopback; ${duration} s per cell; load average at the end ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}.`,
    );
    out.push('');
    out.push(
      `argon2id (m=19456 KiB, t=2, p=1): hash ${f(argon.hashMs, 1)} ms, verify ${f(argon.verifyMs, 1)} ms (median of 15, this process)`,
    );
    out.push(
      `→ one core can verify at most ~${f(1000 / argon.verifyMs)} logins/s; libuv runs 4 hashes at once on ${cpus().length} cores.`,
    );
    out.push('');
    out.push(
      `Login latency, one request at a time, interleaved (median of ${timing.known.length}/${timing.unknown.length}/${timing.wrong.length}): known email + right password ${f(median(timing.known), 1)} ms (200), unknown email ${f(median(timing.unknown), 1)} ms (401), known email + wrong password ${f(median(timing.wrong), 1)} ms (401).`,
    );
    out.push('');
    out.push('| endpoint | connections | req/s | p50 ms | p99 ms | non-2xx | errors |');
    out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const r of [...rows, on, off]) {
      out.push(
        `| ${r.what} | ${r.connections} | ${f(r.rps)} | ${f(r.p50, 1)} | ${f(r.p99, 1)} | ${r.non2xx} | ${r.errors} |`,
      );
    }
    out.push('');
    out.push(
      `Session check overhead on GET /auth/me: ${f(off.rps)} → ${f(on.rps)} req/s (${f((1 - on.rps / off.rps) * 100, 1)} % fewer), p99 ${f(off.p99, 1)} → ${f(on.p99, 1)} ms (best of 3 interleaved rounds each).`,
    );
    out.push(
      `Session check query alone (pg client round trip, ${sessions} sessions in the table): median ${f(median(checkTimes) * 1000)} µs, p99 ${f([...checkTimes].sort((a, b) => a - b)[Math.floor(checkTimes.length * 0.99)] * 1000)} µs.`,
    );
    out.push(
      `Refresh tokens used: ${used} of ${tokens.length} pre-issued (distinct per request); sessions in table: ${sessions}.`,
    );
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    for (const s of servers) s.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500)); // let the children close their pools before the drop
    await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
    await admin.end();
  }
}

if (process.argv.includes('--serve')) {
  serve().catch((err: Error) => {
    process.stderr.write(`${err.stack}\n`);
    process.exit(1);
  });
} else {
  main().then(
    () => process.exit(0),
    (err: Error) => {
      process.stderr.write(`${err.stack ?? err.message}\n`);
      process.exit(1);
    },
  );
}

import { ChildProcess, spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { generateKey } from '../../../src/modules/encryption/fernet';
import { keyIdOf } from '../../../src/modules/encryption/key-ring';
import { ENV, testServer, workerDatabase } from '../../harness/test-env';
import { freshPgliteDir, scratchDir } from '../../support/pglite-dir';
import { childEnv, NODE_FLAGS, ROOT, runTs } from '../../support/run-ts';

/**
 * `.env` in the working directory is honoured by every entry point, as its own process: the server
 * (src/main.ts), the operator CLI (src/cli.ts) and the migration CLI (src/database/migrate.ts).
 * The server and the operator CLI use the database `.env` names: on a PostgreSQL server this worker's
 * database (they only read it; teardown checks it still matches the template), else a fresh PGlite directory.
 */
const onServer = process.env[ENV.server] === 'postgres';

async function databaseSettings(name: string): Promise<Record<string, string>> {
  if (onServer) return { DATABASE_URL: await workerDatabase() };
  await freshPgliteDir(join(dir, name));
  return { PGLITE_DIR: `./${name}` };
}

let dir: string;
beforeEach(() => (dir = scratchDir('dashtam-dotenv-')));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const writeEnv = (vars: Record<string, string>) =>
  writeFileSync(
    join(dir, '.env'),
    Object.entries(vars)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
  );

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Starts src/main.ts in `dir` and resolves once Nest reports it is listening. */
function startServer(): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(
    process.execPath,
    [...NODE_FLAGS, '-r', join(ROOT, 'scripts', 'register-ts.cjs'), join(ROOT, 'src/main.ts')],
    {
      cwd: dir,
      env: childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve, reject) => {
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`src/main.ts did not start within 90 s:\n${output}`));
    }, 90_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      output += `${line}\n`;
      if (line.includes('"msg":"Listening on http://')) {
        clearTimeout(guard);
        resolve({ child, output: () => output });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(guard);
      reject(new Error(`src/main.ts exited with ${code}:\n${output}`));
    });
  });
}

async function stopServer(child: ChildProcess): Promise<void> {
  child.removeAllListeners('exit');
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

describe('.env is honoured by every entry point', () => {
  it('src/main.ts listens on PORT and HOST from .env', async () => {
    const port = await freePort();
    writeEnv({
      PORT: String(port),
      HOST: '127.0.0.1',
      ...(await databaseSettings('pglite')),
      LOG_LEVEL: 'info',
      LOG_PRETTY: 'false',
      TOKEN_SWEEP_ENABLED: 'false',
      SYNC_ENABLED: 'false',
    });
    const { child, output } = await startServer();
    try {
      expect(output()).toContain(`Listening on http://127.0.0.1:${port}`);
      const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
      expect(res.status).toBe(200);
    } finally {
      await stopServer(child);
    }
  }, 120_000);

  it('src/main.ts: a bad value in .env is the one-line configuration error', async () => {
    writeEnv({ PORT: 'abc' });
    const r = await runTs('src/main.ts', [], {}, 60_000, dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Invalid configuration: PORT must be an integer, got "abc"\n');
  }, 90_000);

  it('src/cli.ts uses the database and keys from .env', async () => {
    const key = generateKey();
    writeEnv({ ...(await databaseSettings('cli-db')), ENCRYPTION_KEYS: key, LOG_LEVEL: 'silent' });
    const r = await runTs('src/cli.ts', ['encryption:status'], {}, 90_000, dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${keyIdOf(key)}\\s+primary\\s+0$`, 'm'));
  }, 120_000);

  it('src/database/migrate.ts uses PGLITE_DIR from .env', async () => {
    await freshPgliteDir(join(dir, 'from-dotenv'));
    writeEnv({ PGLITE_DIR: './from-dotenv' });
    const r = await runTs('src/database/migrate.ts', ['status'], { NODE_ENV: 'test' }, 90_000, dir);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(
      'DATABASE_URL not set: using embedded PostgreSQL (PGlite) in ./from-dotenv',
    );
  }, 120_000);

  // Only a PostgreSQL server gives this process a second, already migrated database to point .env at.
  (onServer ? it : it.skip)(
    'src/database/migrate.ts migrates DATABASE_URL from .env, not the embedded database',
    async () => {
      expect(testServer()).toBe('postgres');
      writeEnv({ DATABASE_URL: await workerDatabase() });
      const r = await runTs('src/database/migrate.ts', ['status'], {}, 90_000, dir);
      expect(r.stderr).toBe('');
      expect(r.stdout).not.toContain('embedded');
      expect(r.stdout).toMatch(/^\d+ applied, 0 pending$/m);
      expect(r.code).toBe(0);
    },
    120_000,
  );
});

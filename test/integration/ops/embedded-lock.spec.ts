import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  EmbeddedDatabaseLockedError,
  EmbeddedPostgres,
  lockDataDir,
} from '../../../src/database/embedded-postgres';
import { freshPgliteDir, scratchDir } from '../../support/pglite-dir';
import { runTs } from '../../support/run-ts';

/**
 * PGlite has no locking of its own: two processes on one data directory corrupt it. The directory is locked
 * (`<dir>.lock` with the owner's pid); a second process gets one clear line, a dead owner's lock is taken over.
 */
describe('embedded database directory lock', () => {
  let root: string;
  let dir: string;
  beforeEach(() => {
    root = scratchDir('dashtam-lock-');
    dir = join(root, 'pglite');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const inUse = (pid: number) =>
    new RegExp(
      `^The embedded database in \\S+ is in use by process ${pid} .*set DATABASE_URL to a PostgreSQL server\\n$`,
    );

  // The lock a running EmbeddedPostgres holds, taken without starting PGlite (seconds of WebAssembly start-up);
  // the last test proves a real start takes it and its stop releases it.
  it('refuses a second opener, in this process and in the migration CLI and the server', async () => {
    const unlock = lockDataDir(dir);
    try {
      await expect(EmbeddedPostgres.start(dir)).rejects.toThrow(EmbeddedDatabaseLockedError);

      const migrate = await runTs(
        'src/database/migrate.ts',
        ['status'],
        { PGLITE_DIR: dir, NODE_ENV: 'test' },
        60_000,
      );
      expect(migrate.code).toBe(1);
      expect(migrate.stderr).toMatch(inUse(process.pid));

      const server = await runTs(
        'src/main.ts',
        [],
        { PGLITE_DIR: dir, LOG_LEVEL: 'silent' },
        60_000,
      );
      expect(server.code).toBe(1);
      expect(server.stderr).toMatch(inUse(process.pid));
      expect(server.stdout).toBe('');
    } finally {
      unlock();
    }
    expect(existsSync(`${dir}.lock`)).toBe(false);
  }, 150_000);

  it('takes over the lock of a process that is gone, and releases it on stop', async () => {
    const gone = spawnSync(process.execPath, [
      '-e',
      'process.stdout.write(String(process.pid))',
    ]).stdout.toString();
    await freshPgliteDir(dir);
    writeFileSync(`${dir}.lock`, `${gone}\n`);
    const migrate = await runTs(
      'src/database/migrate.ts',
      ['status'],
      { PGLITE_DIR: dir, NODE_ENV: 'test' },
      60_000,
    );
    expect(migrate.stderr).toBe('');
    expect(existsSync(`${dir}.lock`)).toBe(false);
  }, 60_000);
});

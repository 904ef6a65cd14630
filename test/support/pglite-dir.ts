import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { NODE_FLAGS, ROOT } from './run-ts';

/**
 * A fresh embedded-database directory for a spawned entry point, copied from one that went through PGlite's
 * initdb once per checkout: initdb costs about 4 s of CPU per directory, a copy about 0.1 s. What the tests
 * exercise (the CLI's PGLITE_DIR handling, migrations, the lock) starts after initdb, on an empty database.
 * `cp` rather than fs.cpSync: ~1,000 files, 0.08 s against 0.36 s of the worker's own (blocked) CPU per copy.
 */
const version = (
  JSON.parse(
    readFileSync(join(ROOT, 'node_modules/@electric-sql/pglite/package.json'), 'utf8'),
  ) as { version: string }
).version;
const initialised = join(ROOT, 'node_modules', '.cache', `pglite-initdb-${version}`);

const INITDB = `import('@electric-sql/pglite').then(({ PGlite }) => PGlite.create(process.argv[1])).then((db) => db.close())`;

export async function freshPgliteDir(target: string): Promise<void> {
  if (!existsSync(initialised)) {
    const building = `${initialised}.${process.pid}.tmp`;
    await promisify(execFile)(process.execPath, [...NODE_FLAGS, '-e', INITDB, building], {
      cwd: ROOT,
    });
    try {
      renameSync(building, initialised);
    } catch {
      rmSync(building, { recursive: true, force: true }); // another worker's copy won
    }
  }
  await promisify(execFile)('cp', ['-R', `${initialised}/.`, target]);
}

const SHM = '/dev/shm';
const SHM_NEEDED = 512 * 2 ** 20;

/**
 * A temporary directory for a test that copies PGlite directories into it: on tmpfs when the machine has one with
 * room (Docker's default /dev/shm is 64 MB), else the system's. On this machine's disk (ext4 mounted with
 * `discard`) a copy cost 0.1–0.8 s of kernel time and deleting it again as much; on tmpfs 0.07 s.
 */
export function scratchDir(prefix: string): string {
  try {
    const fs = statfsSync(SHM);
    if (fs.bavail * fs.bsize >= SHM_NEEDED) return mkdtempSync(join(SHM, prefix));
  } catch {
    // no tmpfs here, or not writable
  }
  return mkdtempSync(join(tmpdir(), prefix));
}

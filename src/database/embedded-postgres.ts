import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

// PGlite has no locking of its own: a second process on the same data directory would corrupt it.
export class EmbeddedDatabaseLockedError extends Error {
  constructor(dir: string, pid: number) {
    super(
      `The embedded database in ${relative(process.cwd(), dir) || dir} is in use by process ${pid} ` +
        '(PGlite serves one process per data directory): stop that process (e.g. `npm start`) first, ' +
        'or set DATABASE_URL to a PostgreSQL server',
    );
    this.name = 'EmbeddedDatabaseLockedError';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockHolder(file: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(file, 'utf8').trim());
  } catch {
    return undefined;
  }
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
}

export function assertDataDirFree(dataDir: string): void {
  const dir = resolve(dataDir);
  const pid = lockHolder(`${dir}.lock`);
  if (pid !== undefined) throw new EmbeddedDatabaseLockedError(dir, pid);
}

// `<dir>.lock` sits beside the directory (PostgreSQL's own); a dead owner's lock is taken over.
export function lockDataDir(dir: string): () => void {
  const file = `${dir}.lock`;
  for (;;) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = lockHolder(file);
      if (pid !== undefined) throw new EmbeddedDatabaseLockedError(dir, pid);
      // Another starter may have removed the stale lock first.
      try {
        unlinkSync(file);
      } catch {
        // retry the exclusive create
      }
    }
  }
  const release = () => {
    process.off('exit', release);
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
    } catch {
      // already gone
    }
  };
  process.on('exit', release);
  return release;
}

export class EmbeddedPostgres {
  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    readonly url: string,
    private readonly unlock: () => void = () => undefined,
  ) {}

  static async start(dataDir?: string, from?: Blob): Promise<EmbeddedPostgres> {
    let dir: string | undefined;
    let unlock: (() => void) | undefined;
    if (dataDir) {
      dir = resolve(dataDir);
      mkdirSync(dir, { recursive: true });
      unlock = lockDataDir(dir);
    }
    try {
      const db = await PGlite.create({
        ...(dir ? { dataDir: dir } : {}),
        ...(from ? { loadDataDir: from } : {}),
      });
      const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 16 });
      await server.start();
      const address = server.getServerConn();
      const port = Number(address.split(':').pop());
      return new EmbeddedPostgres(
        db,
        server,
        `postgres://postgres@127.0.0.1:${port}/postgres`,
        unlock,
      );
    } catch (err) {
      unlock?.();
      throw err;
    }
  }

  dump(): Promise<Blob> {
    return this.db.dumpDataDir('none');
  }

  async stop(): Promise<void> {
    try {
      await this.server.stop();
      await this.db.close();
    } finally {
      this.unlock();
    }
  }
}

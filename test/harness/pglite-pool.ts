import { readFileSync } from 'node:fs';
import type { PGlite } from '@electric-sql/pglite';
import type { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * The PGlite fallback's databases, kept per Jest worker across test files. This module is loaded with the test
 * environment, in the worker's own realm, so it outlives each file's sandbox. Restoring the template is a WASM
 * start and a tar restore per file; a database a file is done with is as good as a fresh one once it is
 * checked: its clients are disconnected, a transaction left open is rolled back (what a server does when a
 * client goes away), the session is reset and every table holds exactly the template's rows. One that differs
 * fails the file that used it and is thrown away, so the next file gets a fresh copy.
 *
 * PGlite serves a single session to all its socket clients (a client inside a transaction holds the others
 * off), so each isolated connection gets a database of its own: a file that opens two at once leases two.
 */

export interface Lease {
  url: string;
  /** Disconnects everyone, checks the database against the template and returns it to the pool. */
  release(): Promise<void>;
}

interface Instance {
  db: PGlite;
}

const TABLES = `SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) AS t FROM pg_tables
  WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`;

/** Enough for the files that hold two connections at once; more would only cost memory. */
const KEEP_IDLE = 2;

let source: { file: string; dump?: Blob; fingerprint?: Map<string, string> } | undefined;
const idle: Instance[] = [];

/** Per table: row count and a digest of the rows, content-ordered. */
async function fingerprint(db: PGlite): Promise<Map<string, string>> {
  const tables = (await db.query<{ t: string }>(TABLES)).rows.map((r) => r.t);
  const out = new Map<string, string>();
  if (!tables.length) return out;
  const sql = tables
    .map(
      (t, i) =>
        `SELECT ${i} AS i, count(*)::int AS n, md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '')) AS h FROM ${t} x`,
    )
    .join(' UNION ALL ');
  for (const r of (await db.query<{ i: number; n: number; h: string }>(sql)).rows)
    out.set(tables[r.i], `${r.n} rows, digest ${r.h.slice(0, 8)}`);
  return out;
}

/**
 * PostgreSQL leaves its one-shot alarm (up to 10 s) armed after a transaction, and a Jest worker told to end
 * ([CHILD_MESSAGE_END], 2, in jest-worker) waits for its event loop to empty: an idle database would hold the
 * worker until Jest kills it ("A worker process has failed to exit gracefully"). So the pool closes on that
 * message, and global teardown closes it for an in-band run. The listener goes with it: it keeps the IPC
 * channel referenced.
 */
const onWorkerEnd = (message: unknown) => {
  if (Array.isArray(message) && message[0] === 2) void closeIdle();
};

export async function closeIdle(): Promise<void> {
  process.off('message', onWorkerEnd);
  for (const inst of idle.splice(0)) await inst.db.close().catch(() => undefined);
}

async function create(file: string): Promise<Instance> {
  if (source?.file !== file) {
    await closeIdle();
    source = { file };
  }
  if (process.send && !process.listeners('message').includes(onWorkerEnd))
    process.on('message', onWorkerEnd);
  source.dump ??= new Blob([readFileSync(file)]);
  // Loaded on first use: the environment also serves PostgreSQL runs, which never need it. (TypeScript types
  // import() with the package's ESM declarations and the type import with its CJS ones: same classes.)
  const { PGlite: Db } = (await import('@electric-sql/pglite')) as unknown as {
    PGlite: typeof PGlite;
  };
  const db = await Db.create({
    loadDataDir: source.dump,
    // Otherwise PostgreSQL's startup-progress timer re-arms every 10 s for as long as the instance lives, and an
    // idle instance in the pool would keep the worker (or an in-band run) from exiting.
    postgresqlconf: ['log_startup_progress_interval = 0'],
  });
  source.fingerprint ??= await fingerprint(db);
  return { db };
}

/** Compares a released database with the template; returns what differs (empty: clean). */
async function differences(db: PGlite): Promise<string[]> {
  if (db.isInTransaction()) await db.exec('ROLLBACK');
  // What a new backend would not inherit: settings, prepared statements, advisory locks, LISTEN, temp tables.
  await db.exec('DISCARD ALL');
  const expected = source!.fingerprint!;
  const actual = await fingerprint(db);
  return [...new Set([...expected.keys(), ...actual.keys()])]
    .filter((t) => expected.get(t) !== actual.get(t))
    .map((t) => `${t} (${actual.get(t) ?? 'missing'}; template: ${expected.get(t) ?? 'missing'})`);
}

/** A database equal to the template, served on a fresh loopback port for one isolated connection. */
export async function acquire(dumpFile: string): Promise<Lease> {
  const inst = (source?.file === dumpFile && idle.pop()) || (await create(dumpFile));
  const { PGLiteSocketServer: Server } =
    (await import('@electric-sql/pglite-socket')) as unknown as {
      PGLiteSocketServer: typeof PGLiteSocketServer;
    };
  const server = new Server({
    db: inst.db,
    host: '127.0.0.1',
    port: 0,
    maxConnections: 16,
  });
  try {
    await server.start();
  } catch (err) {
    await inst.db.close().catch(() => undefined);
    throw err;
  }
  const port = Number(server.getServerConn().split(':').pop());
  let released: Promise<void> | undefined;
  const recycle = async () => {
    // Stopping the server closes every client (rolling back the transaction of the one that held it) and
    // leaves nothing listening: a straggler from this file can never reach the next file's database.
    await server.stop();
    let diff: string[];
    try {
      diff = await differences(inst.db);
    } catch (err) {
      diff = [`the check itself failed: ${(err as Error).message}`];
    }
    if (diff.length) {
      await inst.db.close().catch(() => undefined);
      throw new Error(
        `[test harness] leaks detected: the PGlite database differs from the template after this file in ${diff.join(', ')}`,
      );
    }
    if (source?.file === dumpFile && idle.length < KEEP_IDLE) idle.push(inst);
    else await inst.db.close();
  };
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    release: () => (released ??= recycle()),
  };
}

import { AsyncLocalStorage } from 'node:async_hooks';
import { Client } from 'pg';
import { HarnessError } from './errors';

/**
 * A second DataSource, `pg.Pool` or `pg.Client` opened in the test process on the database of an isolated
 * connection escapes the rollback: its writes commit for real. Every pg client of this test file is created
 * from the same `pg` module, so its connect() is where the escape is refused and charged to the test.
 */
interface Watched {
  host: string;
  port: number;
  database: string;
  report: (err: HarnessError) => HarnessError;
}

interface Guard {
  own: AsyncLocalStorage<true>;
  watched: Set<Watched>;
}
// Kept on pg itself: the test files of a worker share one pg module (shared-realm-environment.ts), so the guard
// is installed once and every file's connections are watched by the same one.
const GUARD = Symbol.for('dashtam.harness.foreign-connections');
const guarded = Client.prototype as unknown as Record<symbol, Guard | undefined>;
const { own, watched } = (guarded[GUARD] ??= install({
  own: new AsyncLocalStorage<true>(),
  watched: new Set(),
}));

/** Runs `fn` with detection off: the harness's own connections (and self-tests standing in for another process). */
export const unwatched = <T>(fn: () => Promise<T>): Promise<T> => own.run(true, fn);
export const asHarness = unwatched;

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);
const sameHost = (a: string, b: string) => a === b || (LOOPBACK.has(a) && LOOPBACK.has(b));

export function watchForeignConnections(
  url: string,
  conn: { report(err: HarnessError): HarnessError },
): () => void {
  const u = new URL(url);
  const entry: Watched = {
    host: u.hostname,
    port: Number(u.port || 5432),
    database: decodeURIComponent(u.pathname.slice(1)),
    report: (e) => conn.report(e),
  };
  watched.add(entry);
  return () => void watched.delete(entry);
}

function install(guard: Guard): Guard {
  const { own, watched } = guard;
  type Params = {
    host: string;
    port: number | string;
    database: string;
    application_name?: string;
  };
  const connect = Client.prototype.connect as (
    this: Client,
    cb?: (err?: Error) => void,
  ) => Promise<void> | undefined;
  (Client.prototype as { connect: unknown }).connect = function (
    this: Client & { connectionParameters: Params },
    callback?: (err?: Error) => void,
  ) {
    const p = this.connectionParameters;
    const hit = own.getStore()
      ? undefined
      : [...watched].find(
          (w) => w.database === p.database && w.port === Number(p.port) && sameHost(w.host, p.host),
        );
    if (!hit) return connect.call(this, callback);
    const err = hit.report(
      new HarnessError(
        `a second connection to the test database was opened (application_name: ${p.application_name || '?'}): ` +
          'a DataSource, pg.Pool or pg.Client outside the harness would commit for real and see none of the test’s data. ' +
          'Go through the DatabaseModule seam, or use real-commit mode (describeRealCommit).',
      ),
    );
    if (callback) {
      process.nextTick(() => callback(err));
      return undefined;
    }
    return Promise.reject(err);
  };
  return guard;
}

import type { Pool, PoolClient, QueryResult as PgResult } from 'pg';
import { QueryResult, QueryRunner } from 'typeorm';
import type { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import type { Control } from './sql-control';
import { transactionControl } from './sql-control';
import { captureCaller, HarnessError } from './errors';
import type { IsolatedConnection } from './isolated-connection';

const OWN = new Set<PropertyKey>([
  'isTransactionActive',
  'isReleased',
  'transactionDepth',
  'connect',
  'release',
  'startTransaction',
  'commitTransaction',
  'rollbackTransaction',
  'query',
  'manager',
]);

/** pg's Submittable (QueryStream, Cursor): results arrive through callbacks the driver calls. */
interface Submittable {
  text?: string;
  cursor?: { text?: string };
  submit: (connection: unknown) => void;
  handleError: (err: Error, connection: unknown) => void;
  handleReadyForQuery: (connection: unknown) => void;
  destroy?: (err: Error) => void;
}

/**
 * What every `createQueryRunner()` of the app returns: a view of the single test connection whose
 * transactions are savepoints. Everything TypeORM does through it (its helper methods too: they are bound to
 * this proxy, so their `this.query` comes back here) and the raw driver client from `connect()` pass the same
 * checks: admission, transaction-control text, per-statement savepoint.
 */
export function createProxyRunner(
  conn: IsolatedConnection,
  physical: PostgresQueryRunner,
  client: PoolClient,
): QueryRunner {
  let released = false;
  const levels: string[] = []; // this runner's own savepoints, outermost first
  const userSavepoints = new Set<string>();

  const startTransaction = async (isolation?: string) => {
    const caller = captureCaller(); // before the first await, while the caller is still on the stack
    conn.admit('START TRANSACTION');
    if (isolation && isolation !== 'READ COMMITTED') {
      throw new HarnessError(
        `isolation level ${isolation} cannot be honoured inside the test transaction (it would silently become a savepoint); ` +
          'test this code in real-commit mode (describeRealCommit)',
      );
    }
    levels.push(await conn.beginApp(levels.length === 0, caller));
  };
  const finish = async (how: 'commit' | 'rollback', all = false) => {
    const name = all ? levels[0] : levels[levels.length - 1];
    try {
      await conn.endApp(name, how);
    } finally {
      levels.splice(all ? 0 : levels.length - 1);
      if (!levels.length) {
        userSavepoints.clear();
        conn.mutex.release();
      }
    }
  };

  /** Transaction control sent as text: translated where the meaning is clear, refused loudly otherwise. */
  const control = async (c: Control, sql: string, exec: () => Promise<unknown>): Promise<void> => {
    const refuse = (why: string) => conn.refuseControl(sql, why);
    switch (c.kind) {
      case 'begin':
        if (levels.length) return refuse('inside a transaction this runner already holds');
        return startTransaction(c.isolation);
      case 'commit':
      case 'rollback':
        if (!levels.length)
          return refuse(
            `outside any app transaction: it would ${c.kind === 'commit' ? 'commit' : 'roll back'} the test's own transaction`,
          );
        return finish(c.kind, true);
      case 'savepoint':
        if (!levels.length) return refuse('outside any app transaction (production answers 25P01)');
        if (conn.isReserved(c.name)) return refuse('uses a name the harness reserves');
        await exec();
        userSavepoints.add(c.name);
        return conn.pushed(c.name);
      case 'release':
      case 'rollback-to':
        if (!userSavepoints.has(c.name))
          return refuse('names no savepoint this app transaction created');
        await exec();
        if (c.kind === 'release') userSavepoints.delete(c.name);
        return conn.popped(c.name, c.kind === 'release');
      default:
        return refuse('cannot be translated on the single test connection');
    }
  };

  /** The one path of an app statement: admission, control, then plain (own transaction) or autocommit. */
  async function run<T>(sql: string, exec: () => Promise<T>, empty: () => T): Promise<T> {
    conn.admit(sql);
    const c = transactionControl(sql);
    if (c) {
      await control(c, sql, exec);
      return empty();
    }
    if (levels.length) return exec();
    return conn.autocommit(sql, exec);
  }

  /** A stream, cursor or pg.Query: submitted once admitted; outside a transaction it holds the connection until done. */
  const submit = (sub: Submittable): Submittable => {
    const sql = sub.text ?? sub.cursor?.text ?? '<stream>';
    conn.admit(sql);
    if (transactionControl(sql)) conn.refuseControl(sql, 'inside a stream or cursor');
    let failed = false;
    const done = new Promise<void>((resolve) => {
      const onError = sub.handleError.bind(sub);
      const onReady = sub.handleReadyForQuery.bind(sub);
      // The driver calls one of the two: handleError (and drops the query) or handleReadyForQuery.
      sub.handleError = (e, c) => ((failed = true), onError(e, c), resolve());
      sub.handleReadyForQuery = (c) => (onReady(c), resolve());
    });
    const run = async () => {
      client.query(sub as never);
      await done;
      if (failed) throw new HarnessError('stream failed'); // rolls its statement savepoint back
    };
    (levels.length ? run() : conn.autocommit(sql, run)).catch((err: Error) => {
      if (failed) return; // the stream already got its error
      if (sub.destroy) sub.destroy(err);
      else sub.handleError(err, undefined);
    });
    return sub;
  };

  const rawQuery = (
    config: string | { text: string } | Submittable,
    values?: unknown,
    callback?: (err: Error | null, r?: PgResult) => void,
  ) => {
    if (typeof values === 'function') [callback, values] = [values as typeof callback, undefined];
    if (typeof config === 'object' && 'submit' in config && typeof config.submit === 'function')
      return submit(config);
    const sql = typeof config === 'string' ? config : (config as { text: string }).text;
    const exec = () => client.query(config as string, values as unknown[]);
    const result = run<PgResult>(sql, exec, () => ({
      command: '',
      rows: [],
      rowCount: null,
      oid: 0,
      fields: [],
    }));
    if (!callback) return result;
    result.then(
      (r) => callback(null, r),
      (e: Error) => callback(e),
    );
    return undefined;
  };
  const rawClient = new Proxy(client, {
    get(target, prop) {
      if (prop === 'query') return rawQuery;
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });

  const own: Record<PropertyKey, unknown> = {
    get isTransactionActive() {
      return levels.length > 0;
    },
    get isReleased() {
      return released;
    },
    get transactionDepth() {
      return levels.length;
    },
    connect: async () => rawClient,
    release: async () => {
      released = true;
      if (levels.length) {
        // Production would hand the pooled connection back mid-transaction to the next request.
        await finish('rollback', true);
        conn.report(
          new HarnessError(
            'a query runner was released with its transaction still open (production would return the connection to the pool inside that transaction)',
          ),
        );
      }
    },
    startTransaction,
    commitTransaction: async () => {
      if (!levels.length)
        throw new HarnessError(
          'commitTransaction() on a runner with no transaction of its own would commit the outer test transaction',
        );
      await finish('commit');
    },
    rollbackTransaction: async () => {
      if (!levels.length)
        throw new HarnessError(
          'rollbackTransaction() on a runner with no transaction of its own would roll back the outer test transaction',
        );
      await finish('rollback');
    },
    query: (sql: string, parameters?: unknown[], structured?: boolean) =>
      run(
        sql,
        () => physical.query(sql, parameters, structured),
        () => (structured ? new QueryResult() : []),
      ),
  };
  const proxy = new Proxy(physical, {
    get(target, prop) {
      if (OWN.has(prop)) return own[prop];
      const value = Reflect.get(target, prop, target);
      // Bound to the proxy: TypeORM's helper methods (createDatabase, hasTable, stream...) call back into it.
      return typeof value === 'function' ? value.bind(proxy) : value;
    },
    set(target, prop, value) {
      if (prop === 'manager') {
        own.manager = value;
        return true;
      }
      return Reflect.set(target, prop, value, target);
    },
  }) as unknown as QueryRunner;
  own.manager = physical.connection.createEntityManager(proxy);
  return proxy;
}

/**
 * What the app's DataSource has as its driver pool: `query(text, values)`, where src/database/query-result.ts
 * sends statements outside a transaction, runs on a proxy runner of its own, so it passes the same checks as
 * every other app statement. The rest is the real pool (TypeORM's own use of it: connect at start, end at close).
 */
export function createProxyPool(
  conn: IsolatedConnection,
  pool: Pool,
  newRunner: () => QueryRunner,
): Pool {
  const query = async (
    config: string | { text: string },
    values?: unknown[],
    ...rest: unknown[]
  ) => {
    const sql = typeof config === 'string' ? config : config?.text;
    if (typeof values === 'function' || rest.length || typeof sql !== 'string') {
      throw conn.report(
        new HarnessError(
          `pool.query with a callback or a submittable ("${String(sql).slice(0, 80)}"): the harness routes only pool.query(text, values)`,
        ),
      );
    }
    const runner = newRunner();
    try {
      const client = (await runner.connect()) as PoolClient;
      return await client.query(config, values);
    } finally {
      await runner.release();
    }
  };
  return new Proxy(pool, {
    get(target, prop) {
      if (prop === 'query') return query;
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

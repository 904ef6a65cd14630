import { AsyncLocalStorage } from 'node:async_hooks';
import type { Pool, PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import type { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import { buildDataSourceOptions } from '../../src/database/data-source.options';
import { ConnectionMutex, type Label } from './connection-mutex';
import { HarnessError } from './errors';
import { asHarness, watchForeignConnections } from './foreign-connections';
import { createProxyPool, createProxyRunner } from './proxy-runner';
import { asServerTimeout, BACKENDS, escapedBackends, Rows, SESSION_RESET } from './session-checks';
import { StatementLog } from './statement-log';

export interface IsolatedConnectionOptions {
  /** Real PostgreSQL supports server-side timeouts and pg_stat_activity; PGlite does not. */
  server: 'postgres' | 'pglite';
  /** How long an app transaction may wait for the connection before the test fails. */
  waitTimeoutMs?: number;
  /** Statement and lock timeout (server-side on PostgreSQL, client-side on PGlite). */
  statementTimeoutMs?: number;
}

interface Scope {
  key: object;
  kind: 'describe' | 'test';
  name: string;
  savepoint: string;
  /** Savepoints are taken lazily, with the scope's first statement: an empty test costs no round trip. */
  materialised: boolean;
}

/** A failure found by the harness, charged to the test (or describe block) whose code caused it. */
export interface Problem {
  key?: object;
  error: HarnessError;
}

const fallbackOrigin = new AsyncLocalStorage<object>();
/** Who started the running code: set by the harness environment (test/harness/environment.ts) or runTest(). */
export const origins = (): AsyncLocalStorage<object> =>
  (globalThis as { __harness?: { origin: AsyncLocalStorage<object> } }).__harness?.origin ??
  fallbackOrigin;
/** The async context of one app transaction's callback (see `open`). */
const txContext = new AsyncLocalStorage<object>();

const STMT = 'h_s';
/**
 * One physical connection per test file holding the file's transaction; describe blocks and tests are
 * savepoints inside it, app transactions savepoints inside those. See docs/testing.md for the guarantees.
 * (Over 300 lines on purpose: scopes, the savepoint stack and admission are one state machine, and what is
 * open on the connection at any moment is easier to check when it all lives here.)
 */
export class IsolatedConnection {
  readonly mutex: ConnectionMutex;
  readonly log = new StatementLog();
  /** Where problems go; by default they are thrown by the next endTest()/beginTest()/close(). */
  onProblem: (p: Problem) => void = (p) => this.problems.push(p);
  private readonly problems: Problem[] = [];
  private client!: PoolClient;
  private raw!: (sql: string) => Promise<unknown>;
  private closed = false;
  private readonly scopes: Scope[] = [];
  private readonly ended = new WeakMap<object, string>();
  private readonly stack: string[] = [];
  private lastEnded?: string;
  private seq = 0;
  private unwatch: () => unknown = () => undefined;
  /** Isolated connections open in this test file (each is one legitimate backend on the worker database). */
  private static open_ = 0;

  private constructor(
    readonly dataSource: DataSource,
    private readonly options: IsolatedConnectionOptions,
  ) {
    this.mutex = new ConnectionMutex(options.waitTimeoutMs ?? 5000);
  }

  static async open(url: string, options: IsolatedConnectionOptions): Promise<IsolatedConnection> {
    const timeout = options.statementTimeoutMs ?? 5000;
    const base = buildDataSourceOptions(url, { poolSize: 1, applicationName: 'dashtam-test' });
    const extra =
      options.server === 'postgres'
        ? // Hangs become failures; the file-long transaction must not be killed for idling.
          {
            options: `-c statement_timeout=${timeout} -c lock_timeout=${timeout} -c idle_in_transaction_session_timeout=0`,
          }
        : {};
    const dataSource = new DataSource({ ...base, extra });
    const conn = new IsolatedConnection(dataSource, options);
    await asHarness(() => dataSource.initialize());
    const physical = dataSource.createQueryRunner() as PostgresQueryRunner;
    conn.client = (await asHarness(() => physical.connect())) as PoolClient;
    const send = conn.client.query.bind(conn.client) as (...args: unknown[]) => Promise<unknown>;
    conn.raw = (sql) => send(sql);
    // The last gate, at the driver: nothing of the app reaches the wire once its test ended or the file closed.
    conn.client.query = ((...args: unknown[]) => {
      conn.checkSend(args[0]);
      if (
        options.server === 'pglite' &&
        typeof args[0] === 'string' &&
        args.every((a) => typeof a !== 'function')
      ) {
        // PGlite has no server-side timeouts: the same bound, enforced by the driver (per query: on a
        // connection-wide query_timeout the driver stops emitting 'error' on streams and other submittables).
        return send({ text: args[0], values: args[1], query_timeout: timeout }).catch(
          asServerTimeout,
        );
      }
      return send(...args);
    }) as PoolClient['query'];
    // The binding is in place before Nest builds anything: every runner the app asks for is a proxy.
    dataSource.createQueryRunner = () => createProxyRunner(conn, physical, conn.client);
    const driver = dataSource.driver as PostgresDriver;
    driver.master = createProxyPool(conn, driver.master as Pool, () =>
      dataSource.createQueryRunner(),
    );
    const manager = dataSource.manager;
    const transaction = manager.transaction.bind(manager) as (
      ...args: unknown[]
    ) => Promise<unknown>;
    (manager as { transaction: unknown }).transaction = (...args: unknown[]) =>
      txContext.run({}, () => transaction(...args));
    await conn.raw('BEGIN');
    IsolatedConnection.open_ += 1;
    conn.unwatch = watchForeignConnections(url, conn);
    return conn;
  }

  // ---- scopes -------------------------------------------------------------------------------------------

  beginScope(key: object, kind: Scope['kind'], name: string): void {
    const running = this.scopes.find((s) => s.kind === 'test');
    if (kind === 'test' && running) {
      throw new HarnessError(
        `"${name}" started while "${running.name}" is still running: test.concurrent is not supported on one connection`,
      );
    }
    this.scopes.push({
      key,
      kind,
      name,
      savepoint: `h_${kind[0]}${++this.seq}`,
      materialised: false,
    });
    this.ended.delete(key); // a retried test runs again under the same key
    this.lastEnded = undefined;
  }

  /** Ends a scope: drain, check deferred constraints, roll back, reset the session. Returns its problems. */
  async endScope(key: object): Promise<HarnessError | undefined> {
    const index = this.scopes.findIndex((s) => s.key === key);
    if (index < 0) return undefined;
    const scope = this.scopes[index];
    const found: string[] = [];
    // Ended first: from now on its code is refused (even work queued before), then whatever holds the
    // connection drains; the scope stays on the stack until its rollback, so nothing lands in its parent.
    for (const s of this.scopes.slice(index)) this.ended.set(s.key, s.name);
    try {
      await this.mutex.drain();
    } catch (err) {
      found.push(
        `app work was still running when "${scope.name}" ended: ${(err as Error).message}`,
      );
    }
    this.scopes.splice(index);
    if (scope.kind === 'test') this.lastEnded = scope.name;
    if (!scope.materialised && this.options.server === 'postgres' && scope.kind === 'test') {
      // Nothing to undo, but a connection from another process may still have appeared during the test.
      const results = (await this.exec(BACKENDS.trim())) as Rows;
      const escaped = await escapedBackends(
        this.raw,
        results[results.length - 1].rows[0].n,
        IsolatedConnection.open_,
        scope.name,
      );
      if (escaped) found.push(escaped);
    }
    if (scope.materialised) {
      const undo = `ROLLBACK TO SAVEPOINT ${scope.savepoint}; RELEASE SAVEPOINT ${scope.savepoint}; ${SESSION_RESET}`;
      const reset = undo + (this.options.server === 'postgres' ? BACKENDS : '');
      let results: Rows;
      try {
        results = (await this.exec(`SET CONSTRAINTS ALL IMMEDIATE; ${reset}`)) as Rows;
      } catch (err) {
        // The batch stopped at SET CONSTRAINTS: whatever it raised (23xxx, a trigger's P0001...) COMMIT would raise.
        const e = err as { code?: string; message: string };
        found.push(
          `a deferred constraint fails at commit time in "${scope.name}" (${e.code ?? '?'}, a constraint or constraint trigger): ${e.message}`,
        );
        results = (await this.exec(reset)) as Rows;
      }
      if (this.stack.includes(scope.savepoint))
        this.stack.splice(this.stack.indexOf(scope.savepoint));
      (
        this.client as unknown as { connection: { parsedStatements: object } }
      ).connection.parsedStatements = {};
      if (this.options.server === 'postgres') {
        const escaped = await escapedBackends(
          this.raw,
          results[results.length - 1].rows[0].n,
          IsolatedConnection.open_,
          scope.name,
        );
        if (escaped) found.push(escaped);
      }
    }
    for (const p of this.problems.splice(0)) {
      if (p.key !== undefined && p.key !== key && this.isLive(p.key)) this.problems.push(p);
      else found.push(p.error.message.replace(/^\[test harness\] /, ''));
    }
    return found.length ? new HarnessError(found.join('\n')) : undefined;
  }

  /** Hand-driven tests (self-tests, benchmarks): begin/end a test whose key is returned. */
  async beginTest(name: string, key: object = { name }): Promise<object> {
    this.throwProblems();
    this.beginScope(key, 'test', name);
    return key;
  }

  async endTest(): Promise<void> {
    const test = [...this.scopes].reverse().find((s) => s.kind === 'test');
    if (!test) throw new HarnessError('endTest() without a running test');
    const problem = await this.endScope(test.key);
    if (problem) throw problem;
  }

  /** A hand-driven test whose code (timers included) is attributed to it, as the environment does for Jest tests. */
  async runTest(name: string, fn: () => Promise<unknown>): Promise<void> {
    const key = await this.beginTest(name);
    await origins().run(key, fn);
    await this.endTest();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // From here on the driver gate refuses the app: no statement can ever run after the ROLLBACK, outside it.
    this.closed = true;
    this.unwatch();
    try {
      await this.raw('ROLLBACK');
    } finally {
      await this.dataSource.destroy();
      IsolatedConnection.open_ -= 1;
    }
    this.throwProblems(true);
  }

  // ---- admission and reporting -----------------------------------------------------------------------------

  /** Lets an app statement in, or refuses (and reports) it: after its own test ended, between tests, after close. */
  admit(sql: string): void {
    const key = origins().getStore();
    const from = key && this.ended.get(key);
    if (this.closed || from !== undefined) {
      const where =
        from !== undefined
          ? `from "${from}", which had already ended`
          : 'after the test file’s connection was closed';
      throw this.report(
        new HarnessError(
          `query after the test's rollback: "${sql.slice(0, 120)}" ${where} (un-awaited work?)`,
        ),
        key,
      );
    }
    if (this.lastEnded !== undefined && !(key && this.isLive(key))) {
      throw this.report(
        new HarnessError(
          `query after the test's rollback: "${sql.slice(0, 120)}" after "${this.lastEnded}" ended`,
        ),
        undefined,
      );
    }
  }

  private checkSend(arg: unknown): void {
    const sql = typeof arg === 'string' ? arg : ((arg as { text?: string })?.text ?? '<statement>');
    this.admit(sql);
    this.log.app(sql, this.stack.length);
  }

  report(error: HarnessError, key: object | undefined = origins().getStore()): HarnessError {
    this.onProblem({ key, error });
    return error;
  }

  refuseControl(sql: string, why: string): never {
    throw this.report(
      new HarnessError(
        `transaction control sent as SQL text: "${sql.slice(0, 120)}" ${why}. ` +
          'Use dataSource.transaction(), Transactions.run or the runner’s startTransaction/commitTransaction/rollbackTransaction.',
      ),
    );
  }

  private isLive(key: object): boolean {
    return this.scopes.some((s) => s.key === key);
  }

  /** Problems no running scope will report (hand-driven use): thrown at the next beginTest() or close(). */
  private throwProblems(all = false): void {
    const mine = this.problems.filter((p) => all || p.key === undefined || !this.isLive(p.key));
    if (!mine.length) return;
    this.problems.splice(
      0,
      this.problems.length,
      ...this.problems.filter((p) => !mine.includes(p)),
    );
    const list = mine.map((p) => p.error.message.replace(/^\[test harness\] /, '')).join('\n  ');
    throw new HarnessError(
      `queries arrived after their test had ended (un-awaited work?):\n  ${list}`,
    );
  }

  // ---- savepoints ------------------------------------------------------------------------------------------

  isReserved(name: string): boolean {
    return /^(h_|typeorm_)/.test(name);
  }

  pushed(name: string): void {
    this.stack.push(name);
  }

  popped(name: string, inclusive: boolean): void {
    const at = this.stack.lastIndexOf(name);
    if (at >= 0) this.stack.splice(inclusive ? at : at + 1);
  }

  /** SQL that rides with the next harness savepoint: release the pending statement savepoint, take lazy ones. */
  private prefix(): string {
    let sql = '';
    if (this.stack[this.stack.length - 1] === STMT) {
      sql += `RELEASE SAVEPOINT ${STMT}; `;
      this.stack.pop();
    }
    for (const s of this.scopes) {
      if (s.materialised) continue;
      sql += `SAVEPOINT ${s.savepoint}; `;
      s.materialised = true;
      this.stack.push(s.savepoint);
    }
    return sql;
  }

  /** A harness round trip; `build` may take lazy savepoints, so the depth logged is the one it was sent at. */
  private async exec(build: string | (() => string)): Promise<unknown> {
    const depth = this.stack.length;
    const sql = typeof build === 'string' ? build : build();
    const t0 = performance.now();
    try {
      return await this.raw(sql);
    } finally {
      this.log.harness(sql, depth, performance.now() - t0);
    }
  }

  /** An app transaction (or a nested level of one) begins: a savepoint; the first level takes the connection. */
  async beginApp(first: boolean, caller: Label): Promise<string> {
    if (first) await this.mutex.acquire('transaction', caller, txContext.getStore());
    const name = `h_x${++this.seq}`;
    try {
      await this.exec(() => `${this.prefix()}SAVEPOINT ${name}`);
    } catch (err) {
      if (first) this.mutex.release();
      throw err;
    }
    this.stack.push(name);
    return name;
  }

  async endApp(name: string, how: 'commit' | 'rollback'): Promise<void> {
    try {
      await this.exec(
        how === 'commit'
          ? `RELEASE SAVEPOINT ${name}`
          : `ROLLBACK TO SAVEPOINT ${name}; RELEASE SAVEPOINT ${name}`,
      );
    } finally {
      this.popped(name, true);
    }
  }

  /**
   * An autocommit statement: its own savepoint, so a failure (23505, 22P02, 25001) never aborts the test or
   * another caller's transaction. It queues behind an app transaction that holds the connection (production
   * would run it on another pooled connection), except when it comes from that transaction's own callback,
   * which would deadlock: then it runs nested in it. Its RELEASE is deferred to the next harness round trip.
   */
  async autocommit<T>(sql: string, exec: () => Promise<T>): Promise<T> {
    const marker = txContext.getStore();
    const holder = this.mutex.heldBy;
    const nested =
      holder?.kind === 'transaction' && marker !== undefined && holder.marker === marker;
    if (!nested)
      await this.mutex.acquire('statement', holder ? `statement "${sql.slice(0, 80)}"` : undefined);
    try {
      await this.exec(() => `${this.prefix()}SAVEPOINT ${STMT}`);
      this.stack.push(STMT);
      try {
        return await exec();
      } catch (err) {
        if (this.stack[this.stack.length - 1] === STMT && !this.closed)
          await this.exec(`ROLLBACK TO SAVEPOINT ${STMT}`);
        throw err;
      }
    } finally {
      if (!nested) this.mutex.release();
    }
  }
}

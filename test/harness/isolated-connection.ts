import { DataSource, QueryRunner } from 'typeorm';
import type { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import { buildDataSourceOptions } from '../../src/database/data-source.options';
import { ConnectionMutex } from './connection-mutex';
import { callerFrame, HarnessError } from './errors';

type Phase = 'setup' | 'test' | 'between' | 'closed';

/** TypeORM keeps these protected; the harness needs the raw client and the depth counter. */
interface RunnerInternals {
  databaseConnection: import('pg').PoolClient;
  transactionDepth: number;
}
const internals = (runner: PostgresQueryRunner) => runner as unknown as RunnerInternals;

export interface IsolatedConnectionOptions {
  /** Real PostgreSQL supports statement timeouts and pg_stat_activity; PGlite does not. */
  server: 'postgres' | 'pglite';
  /** How long an app transaction may wait for the connection before the test fails. */
  waitTimeoutMs?: number;
}

const OVERRIDDEN = new Set<PropertyKey>([
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

/**
 * One physical connection per test file, holding an outer transaction for the file and a savepoint per
 * test. The DataSource handed to the app returns, from every `createQueryRunner()`, a light proxy over
 * that connection whose transactions are savepoints; see docs/testing.md for the guarantees.
 */
export class IsolatedConnection {
  private phase: Phase = 'setup';
  private readonly violations: string[] = [];
  private readonly mutex: ConnectionMutex;
  private physical!: PostgresQueryRunner;
  /** Isolated connections open in this test file (each is one legitimate backend on the worker database). */
  private static open_ = 0;
  /** The next test's savepoint was already taken in the previous test's closing round trip. */
  private nextSavepointReady = false;
  private testName = '';

  private constructor(
    readonly dataSource: DataSource,
    private readonly options: IsolatedConnectionOptions,
  ) {
    this.mutex = new ConnectionMutex(options.waitTimeoutMs ?? 5000);
  }

  static async open(url: string, options: IsolatedConnectionOptions): Promise<IsolatedConnection> {
    const base = buildDataSourceOptions(url, { poolSize: 1, applicationName: 'dashtam-test' });
    const dataSource = new DataSource({
      ...base,
      extra:
        options.server === 'postgres'
          ? // Hangs become failures; the file-long transaction must not be killed for idling.
            { options: '-c statement_timeout=5000 -c lock_timeout=5000 -c idle_in_transaction_session_timeout=0' }
          : {},
    } as typeof base);
    await dataSource.initialize();
    IsolatedConnection.open_ += 1;
    const conn = new IsolatedConnection(dataSource, options);
    conn.physical = dataSource.createQueryRunner() as PostgresQueryRunner;
    await conn.physical.connect();
    // The binding is in place before Nest builds anything: every runner the app asks for is a proxy.
    dataSource.createQueryRunner = () => conn.proxyRunner();
    await conn.physical.startTransaction();
    return conn;
  }

  /** Starts a test: a savepoint inside the file's transaction. */
  async beginTest(name: string): Promise<void> {
    if (this.phase === 'test') {
      throw new HarnessError(`"${name}" started while "${this.testName}" is still running: test.concurrent is not supported on one connection`);
    }
    this.throwViolations();
    if (this.nextSavepointReady) {
      internals(this.physical).transactionDepth = 2;
      this.nextSavepointReady = false;
    } else {
      await this.physical.startTransaction();
    }
    this.testName = name;
    this.phase = 'test';
  }

  /** Ends a test: drain, check deferred constraints, roll back, reset session state, look for escapes. */
  async endTest(): Promise<void> {
    const problems: string[] = [];
    try {
      await this.mutex.drain();
    } catch (err) {
      problems.push(`app work was still running when "${this.testName}" ended: ${(err as Error).message}`);
    }
    this.phase = 'between';
    const client = internals(this.physical).databaseConnection;
    // One round trip in the common case: check deferred constraints, back to the file's state, then undo
    // what ROLLBACK does not (session advisory locks, settings, LISTEN), and look for escaped connections.
    const reset =
      'ROLLBACK TO SAVEPOINT typeorm_1; RELEASE SAVEPOINT typeorm_1; SELECT pg_advisory_unlock_all(); RESET ALL; UNLISTEN *;' +
      (this.options.server === 'postgres'
        ? // Cheap first: the number of backends on this database (a fresh snapshot: the file is one transaction).
          ' SELECT pg_stat_clear_snapshot(); SELECT numbackends AS n FROM pg_stat_database WHERE datname = current_database();'
        : '') +
      // ...and the next test's savepoint, so beginning a test costs no round trip.
      ' SAVEPOINT typeorm_1';
    let results: Array<{ rows: Array<{ n: number }> }>;
    try {
      results = (await client.query(`SET CONSTRAINTS ALL IMMEDIATE; ${reset}`)) as unknown as typeof results;
    } catch (err) {
      // The batch stopped at SET CONSTRAINTS (a deferred violation, or an aborted transaction): report, then reset.
      const code = (err as { code?: string }).code ?? '';
      if (code.startsWith('23')) problems.push(`a deferred constraint fails at commit time: ${(err as Error).message}`);
      results = (await client.query(reset)) as unknown as typeof results;
    }
    // The savepoint for the next test exists; depth stays 1 until that test begins (queries in between fail).
    internals(this.physical).transactionDepth = 1;
    this.nextSavepointReady = true;
    const backends = this.options.server === 'postgres' ? results[results.length - 2].rows[0].n : 0;
    if (backends > IsolatedConnection.open_) {
      // More backends than this file's connections: name the newcomers (older ones are earlier files closing).
      const { rows } = await client.query<{ n: number; apps: string }>(
        `SELECT count(*)::int AS n, string_agg(DISTINCT application_name, ', ') AS apps FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
            AND application_name <> 'dashtam-test'
            AND backend_start > (SELECT backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid())`,
      );
      if (rows[0].n > 0) {
        problems.push(
          `${rows[0].n} other connection(s) to the test database appeared during "${this.testName}" (application_name: ${rows[0].apps || '?'}): ` +
            'a DataSource, pg.Pool or worker escaped the harness; everything must go through the DatabaseModule seam',
        );
      }
    }
    if (problems.length) throw new HarnessError(problems.join('\n'));
  }

  async close(): Promise<void> {
    this.phase = 'closed';
    try {
      if (!this.physical.isReleased && this.physical.isTransactionActive) {
        await internals(this.physical).databaseConnection.query('ROLLBACK');
      }
    } finally {
      internals(this.physical).transactionDepth = 0;
      this.physical.isTransactionActive = false;
      await this.physical.release();
      await this.dataSource.destroy();
      IsolatedConnection.open_ -= 1;
    }
    this.throwViolations();
  }

  private throwViolations(): void {
    if (!this.violations.length) return;
    const list = this.violations.splice(0).join('\n  ');
    throw new HarnessError(`queries arrived after their test had ended (un-awaited work?):\n  ${list}`);
  }

  /**
   * Lets a statement in, or fails it loudly. Between tests, statements from a Jest hook are fine: in a
   * beforeAll/afterAll they join the file's transaction (shared fixtures, edge case 24), in a
   * beforeEach/afterEach they run in the next test's savepoint. Anything else there is un-awaited work.
   */
  private async admit(what: string): Promise<void> {
    const hook = (globalThis as { __harnessHook?: string }).__harnessHook;
    if (this.phase === 'between' && (hook === 'beforeAll' || hook === 'afterAll')) {
      if (this.nextSavepointReady) {
        await internals(this.physical).databaseConnection.query('RELEASE SAVEPOINT typeorm_1');
        this.nextSavepointReady = false;
      }
      this.phase = 'setup';
      return;
    }
    if (this.phase === 'between' && hook) return;
    this.checkPhase(what);
  }

  private checkPhase(what: string): void {
    if (this.phase === 'between' || this.phase === 'closed') {
      const msg = `"${what.slice(0, 120)}" after "${this.testName}" ended`;
      this.violations.push(msg);
      throw new HarnessError(`query after the test's rollback: ${msg}`);
    }
  }

  private proxyRunner(): QueryRunner {
    const physical = this.physical;
    let ownDepth = 0;
    let released = false;
    const own: Record<PropertyKey, unknown> = {
      get isTransactionActive() {
        return ownDepth > 0;
      },
      get isReleased() {
        return released;
      },
      get transactionDepth() {
        return ownDepth;
      },
      connect: async () => internals(physical).databaseConnection,
      release: async () => {
        released = true;
      },
      startTransaction: async (isolation?: string) => {
        const caller = callerFrame(); // before the first await, while the caller is still on the stack
        await this.admit('START TRANSACTION');
        if (isolation && isolation !== 'READ COMMITTED') {
          throw new HarnessError(
            `isolation level ${isolation} cannot be honoured inside the test transaction (it would silently become a savepoint); ` +
              'test this code in real-commit mode (describeRealCommit)',
          );
        }
        if (ownDepth === 0) await this.mutex.acquire('transaction', caller);
        try {
          await physical.startTransaction();
        } catch (err) {
          if (ownDepth === 0) this.mutex.release();
          throw err;
        }
        ownDepth += 1;
      },
      commitTransaction: async () => {
        if (ownDepth === 0) {
          throw new HarnessError('commitTransaction() on a runner with no transaction of its own would commit the outer test transaction');
        }
        await physical.commitTransaction();
        ownDepth -= 1;
        if (ownDepth === 0) this.mutex.release();
      },
      rollbackTransaction: async () => {
        if (ownDepth === 0) {
          throw new HarnessError('rollbackTransaction() on a runner with no transaction of its own would roll back the outer test transaction');
        }
        try {
          await physical.rollbackTransaction();
        } finally {
          ownDepth -= 1;
          if (ownDepth === 0) this.mutex.release();
        }
      },
      query: async (sql: string, parameters?: unknown[], structured?: boolean) => {
        await this.admit(sql);
        if (ownDepth > 0 || this.mutex.heldBy?.kind === 'transaction') {
          // Inside an app transaction (ours, or one we are interleaved with): plain statement.
          return physical.query(sql, parameters, structured);
        }
        // An autocommit statement: its own savepoint, so a failure (23505, 22P02) does not abort the test.
        await this.mutex.acquire('statement');
        try {
          await physical.query('SAVEPOINT harness_stmt');
          try {
            const result = await physical.query(sql, parameters, structured);
            await physical.query('RELEASE SAVEPOINT harness_stmt');
            return result;
          } catch (err) {
            await physical.query('ROLLBACK TO SAVEPOINT harness_stmt; RELEASE SAVEPOINT harness_stmt');
            throw err;
          }
        } finally {
          this.mutex.release();
        }
      },
    };
    const proxy = new Proxy(physical, {
      get(target, prop) {
        if (OVERRIDDEN.has(prop)) return own[prop];
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
      set(target, prop, value) {
        if (prop === 'manager') {
          own.manager = value;
          return true;
        }
        return Reflect.set(target, prop, value, target);
      },
    }) as unknown as QueryRunner;
    own.manager = this.dataSource.createEntityManager(proxy);
    return proxy;
  }
}

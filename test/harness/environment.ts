import { AsyncLocalStorage } from 'node:async_hooks';
import type { Circus } from '@jest/types';
import SharedRealmEnvironment from './shared-realm-environment';
import { acquire, type Lease } from './pglite-pool';
import { ENV } from './test-env';
import { ensureWorkerDatabase } from './worker-database';

/**
 * What the environment shares with the harness inside the test context (`globalThis.__harness`):
 *  - `origin`: every test and hook function runs with its owner in this store (the test for tests and *Each
 *    hooks, the describe block for *All hooks), so the harness knows which test a statement came from, even
 *    when it arrives from a timer long after that test ended;
 *  - `listeners`: the open isolated connections, told about every test and describe start/finish. Jest awaits
 *    these events, so per-test and per-describe savepoints do not depend on where hooks are declared.
 */
export interface HarnessBridge {
  origin: AsyncLocalStorage<object>;
  listeners: Set<(event: Circus.AsyncEvent, state: Circus.State) => Promise<void>>;
  /** On the PGlite fallback: a database equal to the template, from this worker's pool (pglite-pool.ts). */
  pglite?: () => Promise<Lease>;
  /** On PostgreSQL: settles once this worker's database exists (`workerDatabase()` in test-env.ts waits for it). */
  workerDatabase?: Promise<void>;
}

const FORWARDED = new Set([
  'run_describe_start',
  'run_describe_finish',
  'test_start',
  'test_done',
  'test_skip',
  'test_todo',
]);

export default class HarnessEnvironment extends SharedRealmEnvironment {
  private readonly bridge: HarnessBridge = {
    origin: new AsyncLocalStorage(),
    listeners: new Set(),
  };
  private state?: Circus.State;
  private readonly leases: Lease[] = [];

  constructor(...args: ConstructorParameters<typeof SharedRealmEnvironment>) {
    super(...args);
    const dump = process.env.DASHTAM_TEST_PGLITE_DUMP;
    if (process.env.DASHTAM_TEST_SERVER === 'pglite' && dump) {
      this.bridge.pglite = async () => {
        const lease = await acquire(dump);
        this.leases.push(lease);
        return lease;
      };
    }
    this.global.__harness = this.bridge;
  }

  override async setup(): Promise<void> {
    await super.setup();
    // Child runs of the harness self-tests bring their own database (ENV.database).
    if (process.env[ENV.server] === 'postgres' && !process.env[ENV.database]) {
      // Not awaited: the worker's first file loads its modules while the database is cloned.
      this.bridge.workerDatabase = ensureWorkerDatabase();
      this.bridge.workerDatabase.catch(() => undefined);
    }
  }

  /** Databases the file did not give back (a crash, a missing stop()) are checked and returned here. */
  override async teardown(): Promise<void> {
    const outcomes = await Promise.allSettled(this.leases.splice(0).map((l) => l.release()));
    await super.teardown();
    const failed = outcomes.find((o) => o.status === 'rejected');
    if (failed) throw failed.reason;
  }

  async handleTestEvent(
    event: Circus.AsyncEvent | Circus.SyncEvent,
    state: Circus.State,
  ): Promise<void> {
    this.state = state;
    if (event.name === 'add_test') {
      const test = state.currentDescribeBlock.children.at(-1);
      if (test?.type === 'test' && test.fn === event.fn)
        test.fn = this.wrap(test.fn, () => test, test.concurrent ? test.name : undefined);
    } else if (event.name === 'add_hook') {
      const hook = state.currentDescribeBlock.hooks.at(-1);
      if (hook && hook.fn === event.fn) {
        const perTest = hook.type === 'beforeEach' || hook.type === 'afterEach';
        hook.fn = this.wrap(hook.fn, () =>
          perTest ? (this.state?.currentlyRunningTest ?? hook.parent) : hook.parent,
        );
      }
    } else if (FORWARDED.has(event.name)) {
      // All at once: each connection marks a finished test ended before any of them awaits its rollback, so
      // work the test left behind cannot slip into another connection meanwhile.
      const listeners = [...this.bridge.listeners].map((l) => l(event as Circus.AsyncEvent, state));
      for (const outcome of await Promise.allSettled(listeners)) {
        if (outcome.status === 'rejected')
          state.unhandledErrors.push([outcome.reason, outcome.reason]);
      }
    }
  }

  /** Runs `fn` with its owner in the origin store; `length` is kept because Jest reads it (done callbacks). */
  private wrap<F extends (...args: never[]) => unknown>(
    fn: F,
    owner: () => object,
    concurrent?: string,
  ): F {
    // Jest runs generator functions through co, which a plain wrapper would hide: left unattributed.
    if (fn.constructor.name === 'GeneratorFunction') return fn;
    const bridge = this.bridge;
    const wrapped = function (this: unknown, ...args: never[]) {
      // Jest 30 runs no per-test hooks for test.concurrent, so this is the only place to refuse it.
      if (concurrent !== undefined && bridge.listeners.size > 0) {
        throw new Error(
          `[test harness] test.concurrent ("${concurrent}") is not supported: concurrent tests would interleave on the ` +
            "file's single test connection and their writes would leak into each other. Use test(), or real-commit mode.",
        );
      }
      return bridge.origin.run(owner(), () => fn.apply(this, args));
    };
    Object.defineProperty(wrapped, 'length', { value: fn.length });
    return wrapped as unknown as F;
  }
}

import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { IsolationLevel } from 'typeorm/driver/types/IsolationLevel';

/** What a unit of work receives: the transaction's manager and a way to defer work until after COMMIT. */
export interface Tx {
  readonly manager: EntityManager;
  /** Runs `fn` once the transaction has committed (never on rollback). Errors are logged, not thrown. */
  afterCommit(fn: AfterCommitHook): void;
}

export type AfterCommitHook = () => unknown;

/**
 * Runs after-commit hooks. A provider of its own so tests can capture hooks instead of running them
 * (test/harness: `CapturingAfterCommit`), through DI like every other override.
 */
@Injectable()
export class AfterCommitDispatcher {
  private readonly logger = new Logger('AfterCommit');

  async dispatch(hooks: AfterCommitHook[]): Promise<void> {
    for (const hook of hooks) {
      try {
        await hook();
      } catch (err) {
        this.logger.error(`after-commit hook failed: ${(err as Error).message}`);
      }
    }
  }
}

/**
 * The application's one transaction mechanism: `transactions.run(async (tx) => ...)`, with `tx.manager`
 * passed down to repositories. Services do not commit; the unit of work does when the callback resolves.
 * (In tests the harness turns this transaction into a savepoint; after-commit hooks then fire when that
 * first-level savepoint is released, which is the moment production would have committed.)
 */
@Injectable()
export class Transactions {
  constructor(
    private readonly dataSource: DataSource,
    private readonly afterCommit: AfterCommitDispatcher,
  ) {}

  async run<T>(work: (tx: Tx) => Promise<T>, isolation?: IsolationLevel): Promise<T> {
    const hooks: AfterCommitHook[] = [];
    const exec = (manager: EntityManager) => work({ manager, afterCommit: (fn) => void hooks.push(fn) });
    const result = isolation
      ? await this.dataSource.transaction(isolation, exec)
      : await this.dataSource.transaction(exec);
    if (hooks.length) await this.afterCommit.dispatch(hooks);
    return result;
  }
}

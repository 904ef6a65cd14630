import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { IsolationLevel } from 'typeorm/driver/types/IsolationLevel';

/** What a unit of work receives: the transaction's manager and a way to defer work until after COMMIT. */
export interface Tx {
  readonly manager: EntityManager;
  /** Runs `fn` once the transaction has committed (never on rollback). Errors are logged, not thrown. */
  afterCommit(fn: () => unknown | Promise<unknown>): void;
}

/**
 * The application's one transaction mechanism: `transactions.run(async (tx) => ...)`, with `tx.manager`
 * passed down to repositories. Services do not commit; the unit of work does when the callback resolves.
 * (In tests the harness turns this transaction into a savepoint; after-commit hooks then fire when that
 * first-level savepoint is released, which is the moment production would have committed.)
 */
@Injectable()
export class Transactions {
  private readonly logger = new Logger('Transactions');

  constructor(private readonly dataSource: DataSource) {}

  async run<T>(work: (tx: Tx) => Promise<T>, isolation?: IsolationLevel): Promise<T> {
    const hooks: Array<() => unknown> = [];
    const exec = (manager: EntityManager) => work({ manager, afterCommit: (fn) => void hooks.push(fn) });
    const result = isolation
      ? await this.dataSource.transaction(isolation, exec)
      : await this.dataSource.transaction(exec);
    for (const hook of hooks) {
      try {
        await hook();
      } catch (err) {
        this.logger.error(`after-commit hook failed: ${(err as Error).message}`);
      }
    }
    return result;
  }
}

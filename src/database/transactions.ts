import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { IsolationLevel } from 'typeorm/driver/types/IsolationLevel';

export interface Tx {
  readonly manager: EntityManager;
  /** Never on rollback; errors are logged, not thrown. */
  afterCommit(fn: AfterCommitHook): void;
}

export type AfterCommitHook = () => unknown;

// A provider of its own so the harness can capture hooks (`CapturingAfterCommit`).
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

// Under the harness this is a savepoint: hooks fire on its release, when production would commit.
@Injectable()
export class Transactions {
  constructor(
    private readonly dataSource: DataSource,
    private readonly afterCommit: AfterCommitDispatcher,
  ) {}

  async run<T>(work: (tx: Tx) => Promise<T>, isolation?: IsolationLevel): Promise<T> {
    const hooks: AfterCommitHook[] = [];
    const exec = (manager: EntityManager) =>
      work({ manager, afterCommit: (fn) => void hooks.push(fn) });
    const result = isolation
      ? await this.dataSource.transaction(isolation, exec)
      : await this.dataSource.transaction(exec);
    if (hooks.length) await this.afterCommit.dispatch(hooks);
    return result;
  }
}

import { AfterCommitDispatcher, AfterCommitHook } from '../../src/database/transactions';

/**
 * Replaces AfterCommitDispatcher through DI to observe after-commit work:
 *
 *   const afterCommit = new CapturingAfterCommit();
 *   const t = useTestApp({ overrides: [{ provide: AfterCommitDispatcher, useValue: afterCommit }] });
 *   ... expect(afterCommit.dispatched).toBe(1)
 *
 * `hold()` keeps hooks instead of running them, until `flush()`.
 */
export class CapturingAfterCommit extends AfterCommitDispatcher {
  dispatched = 0;
  private held: AfterCommitHook[] = [];
  private holding = false;

  hold(): this {
    this.holding = true;
    return this;
  }

  get pending(): number {
    return this.held.length;
  }

  override async dispatch(hooks: AfterCommitHook[]): Promise<void> {
    this.dispatched += hooks.length;
    if (this.holding) this.held.push(...hooks);
    else await super.dispatch(hooks);
  }

  async flush(): Promise<void> {
    const hooks = this.held.splice(0);
    await super.dispatch(hooks);
  }

  reset(): void {
    this.dispatched = 0;
    this.held = [];
  }
}

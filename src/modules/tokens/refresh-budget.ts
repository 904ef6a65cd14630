/** Injection token of the brokerage rate budget (in-process, or shared through Redis when REDIS_URL is set). */
export const REFRESH_BUDGET = Symbol('REFRESH_BUDGET');

/** One user's share of a brokerage's budget: calls on their behalf stop at `perWindow`. */
export interface BudgetShare {
  key: string;
  perWindow: number;
}

/** Token-endpoint calls per brokerage and window; a 429 pauses a brokerage for every caller. */
export interface RefreshBudget {
  remaining(key: string, perWindow: number, now: Date): Promise<number>;
  /** Takes one call (and one of `share`'s); when none is left, takes nothing and says when to retry. */
  acquire(
    key: string,
    perWindow: number,
    now: Date,
    share?: BudgetShare,
  ): Promise<{ retryAt: Date } | null>;
  halt(key: string, until: Date): Promise<void>;
}

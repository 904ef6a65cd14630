export const REFRESH_BUDGET = Symbol('REFRESH_BUDGET');

export interface BudgetShare {
  key: string;
  perWindow: number;
}

// A 429 pauses a brokerage for every caller.
export interface RefreshBudget {
  remaining(key: string, perWindow: number, now: Date): Promise<number>;
  // When none is left, takes nothing (not even the share's) and says when to retry.
  acquire(
    key: string,
    perWindow: number,
    now: Date,
    share?: BudgetShare,
  ): Promise<{ retryAt: Date } | null>;
  // Up to `count` calls at once (a batch); `retryAt` when fewer were granted.
  acquireMany(
    key: string,
    perWindow: number,
    now: Date,
    count: number,
  ): Promise<{ granted: number; retryAt?: Date }>;
  halt(key: string, until: Date): Promise<void>;
}

import type { BudgetShare, RefreshBudget } from './refresh-budget';

// Sliding 60 s window per brokerage (Schwab allows ~120/min per application). Per instance; with REDIS_URL the
// instances share one (RedisRateBudget).
export class RateBudget implements RefreshBudget {
  private readonly calls = new Map<string, number[]>();
  private readonly pausedUntil = new Map<string, number>();

  constructor(private readonly windowMs = 60_000) {}

  available(key: string, perWindow: number, now: Date): number {
    if ((this.pausedUntil.get(key) ?? 0) > now.getTime()) return 0;
    return Math.max(0, perWindow - this.prune(key, now).length);
  }

  // `until` is the 429's Retry-After.
  pause(key: string, until: Date): void {
    this.pausedUntil.set(key, Math.max(this.pausedUntil.get(key) ?? 0, until.getTime()));
  }

  nextSlotAt(key: string, perWindow: number, now: Date): Date {
    if (this.available(key, perWindow, now) > 0) return now;
    const list = this.prune(key, now);
    const windowFrees =
      list.length >= perWindow ? list[list.length - perWindow] + this.windowMs : now.getTime();
    return new Date(Math.max(windowFrees, this.pausedUntil.get(key) ?? 0));
  }

  take(key: string, count: number, now: Date): void {
    const list = this.prune(key, now);
    for (let i = 0; i < count; i++) list.push(now.getTime());
  }

  private prune(key: string, now: Date): number[] {
    const from = now.getTime() - this.windowMs;
    const list = (this.calls.get(key) ?? []).filter((t) => t > from);
    this.calls.set(key, list);
    return list;
  }

  async remaining(key: string, perWindow: number, now: Date): Promise<number> {
    return this.available(key, perWindow, now);
  }

  async acquire(
    key: string,
    perWindow: number,
    now: Date,
    share?: BudgetShare,
  ): Promise<{ retryAt: Date } | null> {
    if (this.available(key, perWindow, now) <= 0)
      return { retryAt: this.nextSlotAt(key, perWindow, now) };
    if (share && this.available(share.key, share.perWindow, now) <= 0) {
      return { retryAt: this.nextSlotAt(share.key, share.perWindow, now) };
    }
    this.take(key, 1, now);
    if (share) this.take(share.key, 1, now);
    return null;
  }

  async acquireMany(
    key: string,
    perWindow: number,
    now: Date,
    count: number,
  ): Promise<{ granted: number; retryAt?: Date }> {
    const granted = Math.min(count, this.available(key, perWindow, now));
    this.take(key, granted, now);
    return granted < count
      ? { granted, retryAt: this.nextSlotAt(key, perWindow, now) }
      : { granted };
  }

  async halt(key: string, until: Date): Promise<void> {
    this.pause(key, until);
  }
}

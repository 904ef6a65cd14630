/**
 * Token-endpoint calls per brokerage in a sliding 60-second window (Schwab allows ~120/min per application).
 * In-process: with N instances each instance keeps its own window, so set the per-brokerage rate to the
 * brokerage's budget divided by the instance count (see docs/providers.md).
 */
export class RateBudget {
  private readonly calls = new Map<string, number[]>();
  /** Brokerages that answered 429: no calls before this instant (ms). */
  private readonly pausedUntil = new Map<string, number>();

  constructor(private readonly windowMs = 60_000) {}

  available(key: string, perWindow: number, now: Date): number {
    if ((this.pausedUntil.get(key) ?? 0) > now.getTime()) return 0;
    return Math.max(0, perWindow - this.prune(key, now).length);
  }

  /** After a 429: nothing for this brokerage until `until` (its Retry-After). */
  pause(key: string, until: Date): void {
    this.pausedUntil.set(key, Math.max(this.pausedUntil.get(key) ?? 0, until.getTime()));
  }

  /** When a call will next be allowed (now when one is available). */
  nextSlotAt(key: string, perWindow: number, now: Date): Date {
    if (this.available(key, perWindow, now) > 0) return now;
    const list = this.prune(key, now);
    const windowFrees =
      list.length >= perWindow ? list[list.length - perWindow]! + this.windowMs : now.getTime();
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
}

/**
 * Token-endpoint calls per brokerage in a sliding 60-second window (Schwab allows ~120/min per application).
 * In-process: with N instances each instance keeps its own window, so set the per-brokerage rate to the
 * brokerage's budget divided by the instance count (see docs/providers.md).
 */
export class RateBudget {
  private readonly calls = new Map<string, number[]>();

  constructor(private readonly windowMs = 60_000) {}

  available(key: string, perWindow: number, now: Date): number {
    return Math.max(0, perWindow - this.prune(key, now).length);
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

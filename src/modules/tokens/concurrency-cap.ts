/** Counts concurrent runs per key; `tryEnter` refuses the one past `limit` (nothing queues). */
export class ConcurrencyCap {
  private readonly running = new Map<string, number>();

  tryEnter(key: string, limit: number): boolean {
    const n = this.running.get(key) ?? 0;
    if (n >= limit) return false;
    this.running.set(key, n + 1);
    return true;
  }

  leave(key: string): void {
    const left = (this.running.get(key) ?? 1) - 1;
    if (left > 0) this.running.set(key, left);
    else this.running.delete(key);
  }
}

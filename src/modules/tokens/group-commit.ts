interface Pending<I, O> {
  item: I;
  resolve: (out: O) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit: items handed in while a flush runs wait and go together into the next one, so under load one
 * transaction serves many refreshes and an idle caller waits for nothing but its own. A failed batch is retried
 * item by item, so one bad row fails only its own caller.
 */
export class GroupCommit<I, O> {
  private pending: Array<Pending<I, O>> = [];
  private draining = false;

  constructor(
    private readonly flush: (items: I[]) => Promise<O[]>,
    private readonly maxBatch = 500,
  ) {}

  run(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.draining) return;
      this.draining = true;
      // A microtask later: callers started in the same turn share the first flush.
      queueMicrotask(() => void this.drain());
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.length) {
      const batch = this.pending.splice(0, this.maxBatch);
      try {
        await this.settle(batch);
      } catch (err) {
        if (batch.length === 1) batch[0].reject(err);
        else for (const one of batch) await this.settle([one]).catch(one.reject);
      }
    }
    this.draining = false;
  }

  private async settle(batch: Array<Pending<I, O>>): Promise<void> {
    const out = await this.flush(batch.map((p) => p.item));
    batch.forEach((p, i) => p.resolve(out[i]));
  }
}

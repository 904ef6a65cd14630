import { captureCaller, HarnessError } from './errors';

export type HolderKind = 'transaction' | 'statement';

/** Who holds or waits: text, or a captured caller formatted when a message needs it. */
export type Label = string | (() => string);
const text = (label: Label | undefined) => (typeof label === 'function' ? label() : label);

export interface Holder {
  kind: HolderKind;
  label: Label;
  /** The async context of an app transaction's callback: its own autocommit statements must not queue behind it. */
  marker?: object;
}

interface Waiter extends Holder {
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Serialises users of the single test connection. In production two app transactions run on two pool
 * connections; here they would interleave savepoints on one (3B001, corrupted depth), so the second waits.
 * A wait longer than `timeoutMs` fails with a message naming both the waiter and the holder.
 */
export class ConnectionMutex {
  private holder?: Holder;
  private readonly queue: Waiter[] = [];

  constructor(private readonly timeoutMs: number) {}

  get heldBy(): Holder | undefined {
    return this.holder;
  }

  /** `label` says who asks; when omitted it is the caller's frame, computed only if the caller has to wait. */
  acquire(kind: HolderKind, label?: Label, marker?: object): Promise<void> {
    if (!this.holder) {
      this.holder = { kind, label: label ?? 'an autocommit statement', marker };
      return Promise.resolve();
    }
    const waiting = label ?? captureCaller();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        kind,
        label: waiting,
        marker,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.queue.splice(this.queue.indexOf(waiter), 1);
          reject(
            new HarnessError(
              `an app ${kind} waited ${this.timeoutMs} ms for the test connection.\n` +
                `  waiting: ${text(waiting)}\n  holding: ${this.holder?.kind} started at ${text(this.holder?.label)}\n` +
                'Transactions are serialised on the single test connection. A transaction that waits for another ' +
                'one to finish (or a stream that holds the connection) cannot complete here: await them in turn, ' +
                'or move the spec to real-commit mode (describeRealCommit).',
            ),
          );
        }, this.timeoutMs),
      };
      waiter.timer.unref?.();
      this.queue.push(waiter);
    });
  }

  release(): void {
    const next = this.queue.shift();
    if (!next) {
      this.holder = undefined;
      return;
    }
    clearTimeout(next.timer);
    this.holder = { kind: next.kind, label: next.label, marker: next.marker };
    next.resolve();
  }

  /** Resolves once nobody holds the connection (in-flight app work drained), or fails after the timeout. */
  async drain(): Promise<void> {
    if (!this.holder) return;
    await this.acquire('statement', 'the harness, ending the test');
    this.release();
  }
}

// Injected so tests pin the jitter; a number in [0, 1).
export const RANDOM = Symbol('RANDOM');
export type RandomSource = () => number;

// Equal jitter: retries of connections that failed together (a brokerage outage) spread out instead of
// returning in lockstep.
export function backoffDelayMs(
  failureCount: number,
  baseMs: number,
  maxMs: number,
  random: RandomSource,
): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(failureCount - 1, 30)));
  return Math.round(exp / 2 + random() * (exp / 2));
}

const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

// Capped at 24 h.
export function parseRetryAfterMs(value: string | undefined, now: Date): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  let ms: number;
  if (/^\d+$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else {
    const at = Date.parse(trimmed);
    if (Number.isNaN(at)) return undefined;
    ms = at - now.getTime();
  }
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}

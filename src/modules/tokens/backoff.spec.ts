import { backoffDelayMs, parseRetryAfterMs } from './backoff';

describe('backoffDelayMs (exponential, equal jitter)', () => {
  it('doubles per failure between half and all of the step, capped', () => {
    expect(backoffDelayMs(1, 1000, 60_000, () => 0)).toBe(500);
    expect(backoffDelayMs(1, 1000, 60_000, () => 0.999999)).toBe(1000);
    expect(backoffDelayMs(3, 1000, 60_000, () => 0.5)).toBe(3000); // step 4 s → 2 s + 1 s
    expect(backoffDelayMs(50, 1000, 60_000, () => 1)).toBe(60_000);
    expect(backoffDelayMs(0, 1000, 60_000, () => 0)).toBe(500);
  });
});

describe('parseRetryAfterMs', () => {
  const now = new Date('2026-01-01T00:00:00.000Z');
  it('reads delta-seconds and HTTP dates, refuses garbage, clamps to [0, 24 h]', () => {
    expect(parseRetryAfterMs(undefined, now)).toBeUndefined();
    expect(parseRetryAfterMs('', now)).toBeUndefined();
    expect(parseRetryAfterMs(' 120 ', now)).toBe(120_000);
    expect(parseRetryAfterMs('Thu, 01 Jan 2026 00:02:00 GMT', now)).toBe(120_000);
    expect(parseRetryAfterMs('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfterMs('soon', now)).toBeUndefined();
    expect(parseRetryAfterMs('999999', now)).toBe(24 * 3600_000);
  });
});

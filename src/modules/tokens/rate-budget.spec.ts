import { RateBudget } from './rate-budget';

describe('RateBudget (sliding 60 s window per brokerage)', () => {
  it('counts calls per key and frees them as the window slides', () => {
    const b = new RateBudget();
    const t0 = new Date('2026-01-01T00:00:00.000Z');
    expect(b.available('schwab', 120, t0)).toBe(120);
    b.take('schwab', 100, t0);
    b.take('sandbox', 5, t0);
    expect(b.available('schwab', 120, t0)).toBe(20);
    expect(b.available('sandbox', 10, t0)).toBe(5);
    b.take('schwab', 30, new Date(t0.getTime() + 30_000));
    expect(b.available('schwab', 120, new Date(t0.getTime() + 30_000))).toBe(0);
    expect(b.available('schwab', 120, new Date(t0.getTime() + 60_001))).toBe(90);
    expect(b.available('schwab', 120, new Date(t0.getTime() + 90_001))).toBe(120);
  });

  it('a pause (after a 429) empties the budget until its end; nextSlotAt says when a call is allowed again', () => {
    const b = new RateBudget();
    const t0 = new Date('2026-01-01T00:00:00.000Z');
    const at = (ms: number) => new Date(t0.getTime() + ms);
    expect(b.nextSlotAt('schwab', 2, t0)).toEqual(t0);
    b.take('schwab', 2, t0);
    expect(b.nextSlotAt('schwab', 2, at(10_000))).toEqual(at(60_000));
    b.pause('sandbox', at(30_000));
    b.pause('sandbox', at(20_000)); // an earlier end never shortens a pause
    expect(b.available('sandbox', 10, at(29_999))).toBe(0);
    expect(b.nextSlotAt('sandbox', 10, at(1_000))).toEqual(at(30_000));
    expect(b.available('sandbox', 10, at(30_000))).toBe(10);
  });
});

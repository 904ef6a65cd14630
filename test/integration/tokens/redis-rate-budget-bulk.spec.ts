import { useRedisBudgets } from '../../support/redis-budgets';
import { RateBudget } from '../../../src/modules/tokens/rate-budget';

describe('acquireMany: a batch takes its budget in one go', () => {
  const { instance } = useRedisBudgets();

  it('Redis: all when they fit; past the window only what is left, the surplus given back', async () => {
    const [a, b] = [instance(), instance()];
    const now = new Date();
    expect(await a.acquireMany('schwab', 5, now, 0)).toEqual({ granted: 0 });
    expect(await a.acquireMany('schwab', 5, now, 3)).toEqual({ granted: 3 });
    const partial = await b.acquireMany('schwab', 5, now, 4);
    expect(partial.granted).toBe(2);
    expect(partial.retryAt!.getTime()).toBeGreaterThan(now.getTime());
    // Nothing left, and nothing over-spent for the next caller.
    expect(await a.remaining('schwab', 5, now)).toBe(0);
    expect((await b.acquireMany('schwab', 5, now, 1)).granted).toBe(0);
    expect(await a.remaining('schwab', 5, now)).toBe(0);
  });

  it('Redis: a pause after a 429 grants nothing until it ends', async () => {
    const budget = instance();
    const now = new Date();
    const until = new Date(Date.now() + 60_000);
    await budget.halt('paused', until);
    expect(await budget.acquireMany('paused', 10, now, 2)).toEqual({ granted: 0, retryAt: until });
  });

  it('in-process: the same contract', async () => {
    const budget = new RateBudget();
    const now = new Date('2026-05-01T12:00:00Z');
    expect(await budget.acquireMany('k', 3, now, 2)).toEqual({ granted: 2 });
    expect(await budget.acquireMany('k', 3, now, 2)).toEqual({
      granted: 1,
      retryAt: new Date(now.getTime() + 60_000),
    });
  });
});

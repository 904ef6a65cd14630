import { useRedisBudgets } from '../../support/redis-budgets';

describe('RedisRateBudget (shared by every instance)', () => {
  const { instance } = useRedisBudgets();

  it('two instances spend one budget; a user gets only their share; a pause stops everyone', async () => {
    const [a, b] = [instance(), instance()];
    const now = new Date();
    const alice = { key: 'schwab:user:alice', perWindow: 2 };
    expect(await a.remaining('schwab', 4, now)).toBe(4);
    expect(await a.acquire('schwab', 4, now, alice)).toBeNull();
    expect(await b.acquire('schwab', 4, now, alice)).toBeNull();
    const refused = await a.acquire('schwab', 4, now, alice); // alice's share is spent, the brokerage's is not
    expect(refused!.retryAt.getTime()).toBeGreaterThan(now.getTime());
    expect(await b.remaining('schwab', 4, now)).toBe(2);
    expect(await b.acquire('schwab', 4, now, { key: 'schwab:user:bob', perWindow: 2 })).toBeNull();
    expect(await a.acquire('schwab', 4, now)).toBeNull();
    expect(
      await b.acquire('schwab', 4, now, { key: 'schwab:user:carol', perWindow: 2 }),
    ).not.toBeNull();
    // carol was refused by the brokerage's budget: her share was given back.
    expect(await a.remaining('schwab:user:carol', 2, now)).toBe(2);
    expect(await a.remaining('schwab', 4, now)).toBe(0);

    const until = new Date(Date.now() + 60_000);
    await a.halt('sandbox', until);
    expect(await b.remaining('sandbox', 10, new Date())).toBe(0);
    expect(await b.acquire('sandbox', 10, new Date())).toEqual({ retryAt: until });
    await a.halt('sandbox', new Date(Date.now() - 1)); // a pause already over changes nothing
    expect(await b.remaining('other', 10, new Date())).toBe(10);
  });
});

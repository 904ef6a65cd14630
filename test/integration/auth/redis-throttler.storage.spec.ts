import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { RedisThrottlerStorage } from '../../../src/modules/auth/redis-throttler.storage';

// ioredis's own slot function (CRC16 of the hash tag, as Redis Cluster computes it); the package ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const calculateSlot = require('cluster-key-slot') as (key: string) => number;

/** Against the real Redis on 127.0.0.1:6379; every test uses its own key prefix. */
describe('RedisThrottlerStorage (real Redis)', () => {
  const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
  let prefix: string;
  let storage: RedisThrottlerStorage;

  beforeAll(() => redis.connect());
  afterAll(async () => {
    const keys = await redis.keys('dashtam-spec:*');
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });
  beforeEach(() => {
    prefix = `dashtam-spec:${randomUUID()}:`;
    storage = new RedisThrottlerStorage(redis, prefix);
  });

  it('counts hits within the window and blocks past the limit with a Retry-After', async () => {
    const r1 = await storage.increment('k', 60_000, 2, 30_000, 'ip');
    expect(r1).toEqual({ totalHits: 1, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 });
    expect((await storage.increment('k', 60_000, 2, 30_000, 'ip')).isBlocked).toBe(false);
    const r3 = await storage.increment('k', 60_000, 2, 30_000, 'ip');
    expect(r3).toMatchObject({ totalHits: 3, isBlocked: true, timeToBlockExpire: 30 });
    const r4 = await storage.increment('k', 60_000, 2, 30_000, 'ip');
    expect(r4.isBlocked).toBe(true);
    expect(r4.totalHits).toBe(3); // blocked requests are not counted
    expect(await redis.pttl(`${prefix}{ip:k}:block`)).toBeGreaterThan(29_000);
  });

  it('keeps throttlers and keys apart', async () => {
    await storage.increment('a', 60_000, 1, 60_000, 'ip');
    expect((await storage.increment('a', 60_000, 1, 60_000, 'account')).isBlocked).toBe(false);
    expect((await storage.increment('b', 60_000, 1, 60_000, 'ip')).isBlocked).toBe(false);
  });

  it('with blockDuration 0 refuses only until the window ends', async () => {
    await storage.increment('z', 5_000, 1, 0, 'ip');
    const r = await storage.increment('z', 5_000, 1, 0, 'ip');
    expect(r.isBlocked).toBe(true);
    expect(r.timeToBlockExpire).toBeLessThanOrEqual(5);
    expect(r.timeToBlockExpire).toBeGreaterThan(0);
  });

  it('keeps both keys of one counter in one Redis Cluster slot (hash tag), different counters apart', async () => {
    await storage.increment('10.0.0.1', 60_000, 5, 0, 'ip');
    await storage.increment('10.0.0.1', 60_000, 1, 60_000, 'account');
    await storage.increment('10.0.0.1', 60_000, 1, 60_000, 'account'); // over the limit: the block key too
    const keys = (await redis.keys(`${prefix}*`)).sort();
    expect(keys).toEqual([
      `${prefix}{account:10.0.0.1}:block`,
      `${prefix}{account:10.0.0.1}:hits`,
      `${prefix}{ip:10.0.0.1}:hits`,
    ]);
    expect(calculateSlot(keys[0])).toBe(calculateSlot(keys[1]));
    expect(calculateSlot(keys[0])).toBe(calculateSlot('account:10.0.0.1'));
    expect(calculateSlot(keys[2])).toBe(calculateSlot('ip:10.0.0.1'));
  });

  it('is atomic across concurrent callers and instances (one shared budget)', async () => {
    const other = new RedisThrottlerStorage(new Redis('redis://127.0.0.1:6379'), prefix);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 ? storage : other).increment('shared', 60_000, 10, 60_000, 'ip'),
      ),
    );
    expect(results.filter((r) => !r.isBlocked)).toHaveLength(10);
    expect(
      results
        .map((r) => r.totalHits)
        .filter((h) => h <= 10)
        .sort((a, b) => a - b),
    ).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await other.close();
  });

  it('repairs a counter that has lost its expiry (windowLeft < 0), so it cannot block forever', async () => {
    // A hits key without TTL, e.g. left by a crash between INCR and PEXPIRE in an older version.
    await redis.set(`${prefix}{ip:p}:hits`, '1');
    expect(await redis.pttl(`${prefix}{ip:p}:hits`)).toBe(-1);
    const r = await storage.increment('p', 60_000, 5, 0, 'ip');
    expect(r).toEqual({ totalHits: 2, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 });
    const pttl = await redis.pttl(`${prefix}{ip:p}:hits`);
    expect(pttl).toBeGreaterThan(59_000);
    expect(pttl).toBeLessThanOrEqual(60_000);
  });

  it('starts a new window when the old one has expired', async () => {
    await storage.increment('w', 60_000, 1, 0, 'ip');
    await redis.pexpire(`${prefix}{ip:w}:hits`, 1); // end the window without waiting
    await redis.del(`${prefix}{ip:w}:hits`);
    expect(await storage.increment('w', 60_000, 1, 0, 'ip')).toMatchObject({
      totalHits: 1,
      isBlocked: false,
    });
  });
});

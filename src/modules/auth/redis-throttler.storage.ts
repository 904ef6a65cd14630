import type { ThrottlerStorage } from '@nestjs/throttler';
import type Redis from 'ioredis';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

// One Lua script, so concurrent requests on several instances never race between reading and writing.
// Returns hits, ms left in the window, blocked flag, ms left in the block.
const SCRIPT = `
local hitsKey, blockKey = KEYS[1], KEYS[2]
local ttl, limit, blockMs = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local blockLeft = redis.call('PTTL', blockKey)
if blockLeft > 0 then
  local hits = tonumber(redis.call('GET', hitsKey) or '0')
  return {hits, math.max(redis.call('PTTL', hitsKey), 0), 1, blockLeft}
end
local hits = redis.call('INCR', hitsKey)
if hits == 1 then redis.call('PEXPIRE', hitsKey, ttl) end
local windowLeft = redis.call('PTTL', hitsKey)
if windowLeft < 0 then redis.call('PEXPIRE', hitsKey, ttl); windowLeft = ttl end
if hits > limit then
  if blockMs > 0 then
    redis.call('SET', blockKey, '1', 'PX', blockMs)
    return {hits, windowLeft, 1, blockMs}
  end
  return {hits, windowLeft, 1, windowLeft}
end
return {hits, windowLeft, 0, 0}
`;

// @nest-lab/throttler-storage-redis does not install next to Nest 12 (npm ERESOLVE on its peer range).
export class RedisThrottlerStorage implements ThrottlerStorage {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'dashtam:throttle:',
  ) {
    this.redis.defineCommand('dashtamThrottle', { numberOfKeys: 2, lua: SCRIPT });
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    // The braces are a Redis Cluster hash tag: both keys of one counter hash to the same slot, which the
    // two-key script requires there (CROSSSLOT otherwise); different counters still spread over the slots.
    const base = `${this.prefix}{${throttlerName}:${key}}`;
    const run = (this.redis as unknown as Record<string, (...args: unknown[]) => Promise<number[]>>)
      .dashtamThrottle;
    const [totalHits, windowMs, blocked, blockMs] = await run.call(
      this.redis,
      `${base}:hits`,
      `${base}:block`,
      ttl,
      limit,
      blockDuration,
    );
    return {
      totalHits,
      timeToExpire: Math.ceil(windowMs / 1000),
      isBlocked: blocked === 1,
      timeToBlockExpire: Math.ceil(blockMs / 1000),
    };
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}

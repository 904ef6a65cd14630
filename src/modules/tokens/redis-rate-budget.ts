import type { OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { BudgetShare, RefreshBudget } from './refresh-budget';

// Fixed 60 s windows on Redis time; a pause after a 429 is one key expiring at the pause's end.
export class RedisRateBudget implements RefreshBudget, OnApplicationShutdown {
  private readonly limiters = new Map<number, RateLimiterRedis>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'dashtam:brokerage-budget',
    private readonly windowSeconds = 60,
  ) {}

  async remaining(key: string, perWindow: number, now: Date): Promise<number> {
    if (await this.pausedUntil(key, now)) return 0;
    const res = await this.limiter(perWindow).get(key);
    return Math.max(0, perWindow - (res?.consumedPoints ?? 0));
  }

  async acquire(
    key: string,
    perWindow: number,
    now: Date,
    share?: BudgetShare,
  ): Promise<{ retryAt: Date } | null> {
    const paused = await this.pausedUntil(key, now);
    if (paused) return { retryAt: paused };
    if (share) {
      const refused = await this.consume(share.key, share.perWindow, now);
      if (refused) return refused;
    }
    const refused = await this.consume(key, perWindow, now);
    // Not spent after all: give the user's share back.
    if (refused && share) await this.limiter(share.perWindow).reward(share.key, 1);
    return refused;
  }

  // One round trip when all fit; past the window's end the surplus is given back at once.
  async acquireMany(
    key: string,
    perWindow: number,
    now: Date,
    count: number,
  ): Promise<{ granted: number; retryAt?: Date }> {
    const paused = await this.pausedUntil(key, now);
    if (paused) return { granted: 0, retryAt: paused };
    if (count <= 0) return { granted: 0 };
    try {
      await this.limiter(perWindow).consume(key, count);
      return { granted: count };
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      const surplus = Math.min(count, err.consumedPoints - perWindow);
      await this.limiter(perWindow).reward(key, surplus);
      return {
        granted: count - surplus,
        retryAt: new Date(now.getTime() + err.msBeforeNext),
      };
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
  }

  async halt(key: string, until: Date): Promise<void> {
    const ms = until.getTime() - Date.now();
    if (ms > 0)
      await this.redis.set(`${this.prefix}:pause:${key}`, String(until.getTime()), 'PX', ms);
  }

  private async consume(
    key: string,
    perWindow: number,
    now: Date,
  ): Promise<{ retryAt: Date } | null> {
    try {
      await this.limiter(perWindow).consume(key, 1);
      return null;
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      return { retryAt: new Date(now.getTime() + err.msBeforeNext) };
    }
  }

  private async pausedUntil(key: string, now: Date): Promise<Date | null> {
    const until = Number(await this.redis.get(`${this.prefix}:pause:${key}`));
    return until > now.getTime() ? new Date(until) : null;
  }

  private limiter(points: number): RateLimiterRedis {
    let limiter = this.limiters.get(points);
    if (!limiter) {
      limiter = new RateLimiterRedis({
        storeClient: this.redis,
        keyPrefix: `${this.prefix}:${points}`,
        points,
        duration: this.windowSeconds,
      });
      this.limiters.set(points, limiter);
    }
    return limiter;
  }
}

import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { RedisRateBudget } from '../../src/modules/tokens/redis-rate-budget';

/** Against the local Redis (TEST_REDIS_URL or 127.0.0.1:6379); each file uses its own key prefix, removed after. */
const url = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** `instance()` is one more app instance's budget on the same Redis keys (its own client). */
export function useRedisBudgets(): { instance: () => RedisRateBudget } {
  const clients: Redis[] = [];
  const prefix = `dashtam-test:${randomUUID()}`;
  afterAll(async () => {
    const keys = await clients[0].keys(`${prefix}*`);
    if (keys.length) await clients[0].del(...keys);
    await Promise.all(clients.map((c) => c.quit()));
  });
  return {
    instance: () => {
      const client = new Redis(url, { maxRetriesPerRequest: 1 });
      clients.push(client);
      return new RedisRateBudget(client, prefix);
    },
  };
}

import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import type { AppConfig } from '../../config';
import { InjectConfig } from '../../config';
import { HealthRepository } from './health.repository';

export type CheckStatus = 'up' | 'down';
export type Dependency = 'database' | 'redis';

// A probe must not hang.
const CHECK_TIMEOUT_MS = 3_000;

function withTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

// Its own connection, so a probe never queues behind, or disturbs, the throttler's.
@Injectable()
export class ReadinessService implements OnApplicationShutdown {
  private readonly redis?: Redis;

  constructor(
    private readonly health: HealthRepository,
    @InjectConfig() config: AppConfig,
  ) {
    if (config.auth.redisUrl) {
      // No background reconnect: the answer is about Redis now, not about where a backoff happens to be.
      this.redis = new Redis(config.auth.redisUrl, {
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        connectTimeout: CHECK_TIMEOUT_MS,
        connectionName: 'dashtam-readiness',
      });
      // Connection errors are what the check reports; without a listener ioredis prints each one.
      this.redis.on('error', () => undefined);
    }
  }

  async check(): Promise<Partial<Record<Dependency, CheckStatus>>> {
    const checks: Array<[Dependency, () => Promise<unknown>]> = [
      ['database', () => this.health.pingDatabase()],
    ];
    if (this.redis) checks.push(['redis', () => this.pingRedis()]);
    const results = await Promise.allSettled(checks.map(([, run]) => withTimeout(run())));
    return Object.fromEntries(
      checks.map(([name], i) => [name, results[i].status === 'fulfilled' ? 'up' : 'down']),
    );
  }

  private async pingRedis(): Promise<void> {
    const redis = this.redis!;
    if (redis.status === 'wait' || redis.status === 'end') await redis.connect();
    await redis.ping();
  }

  onApplicationShutdown(): void {
    this.redis?.disconnect();
  }
}

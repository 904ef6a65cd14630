import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Clock } from '../../common/clock';
import type { AppConfig } from '../../config';
import { InjectConfig } from '../../config';
import { Transactions } from '../../database/transactions';
import { BROKERAGE_ADAPTERS } from '../brokerages/brokerage-adapter';
import type { BrokerageAdapters } from '../brokerages/brokerage-adapter';
import { ProviderTokensRepository } from './provider-tokens.repository';
import { TokensService } from './tokens.service';

export interface SweepReport {
  claimed: number;
  refreshed: number;
  failed: number;
  skipped: number;
}

const JOB = 'provider-token-sweep';

// FOR UPDATE SKIP LOCKED plus a lease, committed at once, so sweepers on other instances take disjoint batches;
// refreshes go through the same single-flight path as the API.
@Injectable()
export class TokenSweepService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('TokenSweep');
  private running = false;

  constructor(
    private readonly transactions: Transactions,
    private readonly repo: ProviderTokensRepository,
    private readonly tokens: TokensService,
    private readonly clock: Clock,
    private readonly scheduler: SchedulerRegistry,
    @InjectConfig() private readonly config: AppConfig,
    @Inject(BROKERAGE_ADAPTERS) private readonly adapters: BrokerageAdapters,
  ) {}

  onApplicationBootstrap(): void {
    const sweep = this.config.providers.sweep;
    if (!sweep.enabled || this.config.app.nodeEnv === 'test') return;
    const handle = setInterval(() => void this.tick(), sweep.intervalMs);
    handle.unref();
    this.scheduler.addInterval(JOB, handle);
  }

  onApplicationShutdown(): void {
    if (this.scheduler.doesExist('interval', JOB)) this.scheduler.deleteInterval(JOB);
  }

  // Overlapping ticks are skipped rather than stacked.
  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const report = await this.sweepOnce();
      if (report.claimed) this.logger.log(report, 'token sweep');
    } catch (err) {
      this.logger.error({ err: { message: (err as Error).message } }, 'token sweep failed');
    } finally {
      this.running = false;
    }
  }

  async sweepOnce(): Promise<SweepReport> {
    const report: SweepReport = { claimed: 0, refreshed: 0, failed: 0, skipped: 0 };
    const { batchSize, concurrency, leaseMs } = this.config.providers.sweep;
    for (const adapter of this.adapters.values()) {
      if (!adapter.enabled) continue;
      for (;;) {
        const now = this.clock.now();
        const limit = Math.min(
          batchSize,
          await this.tokens.budget.remaining(adapter.key, adapter.ratePerMinute, now),
        );
        if (limit <= 0) break;
        const ids = await this.transactions.run((tx) =>
          this.repo.claimDue(
            tx.manager,
            adapter.key,
            now,
            new Date(now.getTime() + leaseMs),
            limit,
          ),
        );
        report.claimed += ids.length;
        await runPool(ids, concurrency, async (id) => {
          try {
            const outcome = await this.tokens.refresh(id);
            if (outcome.result === 'refreshed') report.refreshed++;
            else if (outcome.result === 'failed') report.failed++;
            else report.skipped++;
          } catch (err) {
            report.failed++;
            this.logger.error(
              { connectionId: id, err: { message: (err as Error).message } },
              'sweep refresh crashed',
            );
          }
        });
        if (ids.length < limit) break;
      }
    }
    return report;
  }
}

export async function runPool<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

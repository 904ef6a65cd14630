import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { randomUUID } from 'node:crypto';
import { Clock } from '../../common/clock';
import type { AppConfig } from '../../config';
import { InjectConfig } from '../../config';
import { Transactions } from '../../database/transactions';
import { runPool } from '../tokens/token-sweep.service';
import { ConnectionsService } from '../connections';
import { SyncScheduleRepository } from './sync-schedule.repository';
import { SyncService } from './sync.service';

export interface SyncPassReport {
  claimed: number;
  synced: number;
  failed: number;
  skipped: number;
}

const JOB = 'financial-data-sync';

// Claims (SKIP LOCKED plus a lease, committed at once) keep a connection to one instance at a time; the lease
// owner id is fresh per claim, and only its holder may write the sync's result.
@Injectable()
export class SyncSchedulerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SyncScheduler');
  private running = false;
  private again = false;

  constructor(
    private readonly transactions: Transactions,
    private readonly schedule: SyncScheduleRepository,
    private readonly connections: ConnectionsService,
    private readonly sync: SyncService,
    private readonly clock: Clock,
    private readonly scheduler: SchedulerRegistry,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.sync.enabled) return;
    const handle = setInterval(() => void this.tick(), this.config.sync.tickMs);
    handle.unref();
    this.scheduler.addInterval(JOB, handle);
  }

  onApplicationShutdown(): void {
    if (this.scheduler.doesExist('interval', JOB)) this.scheduler.deleteInterval(JOB);
  }

  // A no-op when the scheduler is off (tests drive runOnce).
  nudge(): void {
    if (!this.config.sync.enabled) return;
    setImmediate(() => void this.tick());
  }

  // A tick during a pass runs one more pass after it instead of stacking.
  async tick(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      do {
        this.again = false;
        const report = await this.runOnce();
        if (report.claimed) this.logger.log(report, 'sync pass');
      } while (this.again);
    } catch (err) {
      this.logger.error({ err: { message: (err as Error).message } }, 'sync pass failed');
    } finally {
      this.running = false;
    }
  }

  async runOnce(): Promise<SyncPassReport> {
    const report: SyncPassReport = { claimed: 0, synced: 0, failed: 0, skipped: 0 };
    const { batchSize, concurrency, leaseMs } = this.config.sync;
    await this.transactions.run((tx) =>
      this.schedule.ensureScheduled(tx.manager, this.clock.now()),
    );
    for (;;) {
      const now = this.clock.now();
      const owner = randomUUID();
      const ids = await this.transactions.run(async (tx) => {
        const claimed = await this.schedule.claimDue(
          tx.manager,
          owner,
          now,
          new Date(now.getTime() + leaseMs),
          batchSize,
        );
        await this.connections.setSyncStatus(tx.manager, claimed, 'running', undefined);
        return claimed;
      });
      report.claimed += ids.length;
      await runPool(ids, concurrency, async (id) => {
        try {
          const r = await this.sync.syncLeased(id, owner);
          report[r.result === 'synced' ? 'synced' : r.result === 'failed' ? 'failed' : 'skipped']++;
        } catch (err) {
          report.failed++;
          this.logger.error(
            { connectionId: id, err: { message: (err as Error).message } },
            'sync crashed',
          );
        }
      });
      if (ids.length < batchSize) break;
    }
    return report;
  }
}

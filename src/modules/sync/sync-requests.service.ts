import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock';
import type { AppConfig } from '../../config';
import { InjectConfig } from '../../config';
import { Transactions } from '../../database/transactions';
import { ConnectionsService } from '../connections';
import { SYNCABLE, SyncScheduleRepository } from './sync-schedule.repository';
import { SyncSchedulerService } from './sync-scheduler.service';
import { connectionNotActive, syncTooSoon } from './sync.errors';

export interface SyncRequestOutcome {
  status: 'queued' | 'running';
}

/** On-demand syncs: queued for the scheduler (due now), at most one per minimum interval per connection. */
@Injectable()
export class SyncRequestsService {
  constructor(
    private readonly transactions: Transactions,
    private readonly connections: ConnectionsService,
    private readonly schedule: SyncScheduleRepository,
    private readonly scheduler: SyncSchedulerService,
    private readonly clock: Clock,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  async request(userId: string, connectionId: string): Promise<SyncRequestOutcome> {
    const outcome = await this.transactions.run(async (tx) => {
      const m = tx.manager;
      // Locked: serialised with disconnection and with a sync's write.
      const conn = await this.connections.requireOwned(userId, connectionId, m, true);
      if (!SYNCABLE.includes(conn.status)) throw connectionNotActive(conn.status);
      const now = this.clock.now();
      const row = await this.schedule.lockOrCreate(m, connectionId, now);
      if (row.leaseUntil && row.leaseUntil.getTime() > now.getTime())
        return { status: 'running' as const };
      const last = Math.max(row.requestedAt?.getTime() ?? 0, row.lastStartedAt?.getTime() ?? 0);
      const wait = last + this.config.sync.minIntervalMs - now.getTime();
      if (wait > 0) throw syncTooSoon(Math.ceil(wait / 1000));
      await this.schedule.update(m, connectionId, {
        nextSyncAt: now,
        requestedAt: now,
        updatedAt: now,
      });
      await this.connections.setSyncStatus(m, [connectionId], 'queued', null);
      await this.connections.recordEvent(m, connectionId, 'sync_requested');
      tx.afterCommit(() => this.scheduler.nudge());
      return { status: 'queued' as const };
    });
    return outcome;
  }
}

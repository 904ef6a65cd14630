import { Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { FakeClock } from '../../common/clock';
import type { AppConfig } from '../../config';
import type { Transactions } from '../../database/transactions';
import type { ConnectionsService } from '../connections';
import type { SyncScheduleRepository } from './sync-schedule.repository';
import { SyncSchedulerService } from './sync-scheduler.service';
import type { SyncService } from './sync.service';

function scheduler(enabled: boolean, runOnce?: () => Promise<never>) {
  const registry = new SchedulerRegistry();
  const config = {
    sync: { enabled, tickMs: 60_000, batchSize: 1, concurrency: 1, leaseMs: 1 },
  } as AppConfig;
  const s = new SyncSchedulerService(
    {} as Transactions,
    {} as SyncScheduleRepository,
    {} as ConnectionsService,
    {} as SyncService,
    new FakeClock(),
    registry,
    config,
  );
  if (runOnce) s.runOnce = runOnce;
  return { s, registry };
}

describe('SyncSchedulerService lifecycle', () => {
  it('schedules its interval when enabled and removes it at shutdown; not at all when disabled', () => {
    const on = scheduler(true);
    on.s.onApplicationBootstrap();
    expect(on.registry.getIntervals()).toEqual(['financial-data-sync']);
    on.s.onApplicationShutdown();
    expect(on.registry.getIntervals()).toEqual([]);
    const off = scheduler(false);
    off.s.onApplicationBootstrap();
    off.s.onApplicationShutdown();
    expect(off.registry.getIntervals()).toEqual([]);
  });

  it('a nudge runs a pass soon; a failing pass is logged, never thrown', async () => {
    let calls = 0;
    const { s } = scheduler(true, async () => {
      calls++;
      throw new Error('database down');
    });
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    s.nudge();
    await new Promise((resolve) => setImmediate(resolve));
    await s.tick();
    expect(calls).toBe(2);
    expect(error).toHaveBeenCalledTimes(2);
    expect(error).toHaveBeenCalledWith({ err: { message: 'database down' } }, 'sync pass failed');
  });
});

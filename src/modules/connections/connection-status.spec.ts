import { FakeClock } from '../../common/clock';
import type { AuditService } from '../audit/audit.service';
import type { ConnectionEventsRepository } from './connection-events.repository';
import { canTransition } from './connection-status';
import type { ConnectionsRepository } from './connections.repository';
import { ConnectionsService } from './connections.service';

describe('connection status machine', () => {
  it('allows the lifecycle moves and nothing out of disconnected', () => {
    expect(canTransition('pending_auth', 'active')).toBe(true);
    expect(canTransition('active', 'degraded')).toBe(true);
    expect(canTransition('degraded', 'active')).toBe(true);
    expect(canTransition('reauth_required', 'expiring')).toBe(true);
    expect(canTransition('pending_auth', 'degraded')).toBe(false);
    expect(canTransition('reauth_required', 'degraded')).toBe(false);
    for (const to of ['pending_auth', 'active', 'reauth_required'] as const)
      expect(canTransition('disconnected', to)).toBe(false);
  });

  it('ConnectionsService refuses a move the machine does not allow, before writing anything', async () => {
    const writes: unknown[] = [];
    const record = (...args: unknown[]) => void writes.push(args);
    const service = new ConnectionsService(
      { update: async (...a: unknown[]) => record(...a) } as unknown as ConnectionsRepository,
      { record: async (...a: unknown[]) => record(...a) } as unknown as ConnectionEventsRepository,
      { record: async (...a: unknown[]) => record(...a) } as unknown as AuditService,
      new FakeClock('2026-01-01T00:00:00Z'),
    );
    const ref = { id: 'c', userId: 'u', providerKey: 'schwab', status: 'disconnected' as const };
    await expect(service.transition({} as never, ref, 'active', null, new Date())).rejects.toThrow(
      'connection status disconnected → active is not allowed',
    );
    expect(writes).toEqual([]);
    await service.transition({} as never, { ...ref, status: 'active' }, 'active', null, new Date()); // no change: no write
    expect(writes).toEqual([]);
  });
});

import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Clock } from '../../common/clock';
import { AuditService } from '../audit/audit.service';
import { ConnectionEventEntity } from './connection-event.entity';
import { ConnectionEventsRepository } from './connection-events.repository';
import type { ConnectionEventType, NewConnectionEvent } from './connection-events.repository';
import { canTransition, ConnectionStatus } from './connection-status';
import { ConnectionsRepository, PageCursor } from './connections.repository';
import { ConnectionsError, ConnectionsErrorCode } from './connections.errors';
import { ProviderConnectionEntity, SyncStatus } from './provider-connection.entity';

export interface ConnectionRef {
  id: string;
  userId: string;
  providerKey: string;
  status: ConnectionStatus;
}

// The only writer of provider_connections and connection_events.
@Injectable()
export class ConnectionsService {
  constructor(
    private readonly connections: ConnectionsRepository,
    private readonly events: ConnectionEventsRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async create(
    manager: EntityManager,
    userId: string,
    providerKey: string,
    alias: string | null,
  ): Promise<ProviderConnectionEntity> {
    const now = this.clock.now();
    const row = await this.connections.insert(manager, {
      userId,
      providerKey,
      alias,
      status: 'pending_auth',
      statusReason: null,
      connectedAt: null,
      disconnectedAt: null,
      createdAt: now,
      updatedAt: now,
    });
    await this.events.record(manager, row.id, 'status_changed', {
      from: null,
      to: 'pending_auth',
      reason: null,
    });
    return row;
  }

  // Missing, foreign and disconnected connections are all CONNECTION_NOT_FOUND.
  async requireOwned(
    userId: string,
    id: string,
    manager?: EntityManager,
    lock = false,
  ): Promise<ProviderConnectionEntity> {
    const row = await this.connections.findOwned(userId, id, manager, lock);
    if (!row) throw new ConnectionsError(ConnectionsErrorCode.NOT_FOUND);
    return row;
  }

  findById(
    id: string,
    manager?: EntityManager,
    lock = false,
  ): Promise<ProviderConnectionEntity | null> {
    return this.connections.findById(id, manager, lock);
  }

  listOwned(
    userId: string,
    limit: number,
    after?: PageCursor,
  ): Promise<ProviderConnectionEntity[]> {
    return this.connections.listOwned(userId, limit, after);
  }

  async rename(manager: EntityManager, id: string, alias: string | null): Promise<Date> {
    const updatedAt = this.clock.now();
    await this.connections.update(manager, id, { alias, updatedAt });
    return updatedAt;
  }

  async markConnected(
    manager: EntityManager,
    row: ProviderConnectionEntity,
    status: ConnectionStatus,
  ): Promise<ProviderConnectionEntity> {
    const now = this.clock.now();
    if (row.status !== status) this.assertTransition(row.status, status);
    await this.connections.update(manager, row.id, {
      status,
      statusReason: null,
      connectedAt: now,
      updatedAt: now,
    });
    if (row.status !== status)
      await this.events.record(manager, row.id, 'status_changed', {
        from: row.status,
        to: status,
        reason: 'authorized',
      });
    return { ...row, status, statusReason: null, connectedAt: now, updatedAt: now };
  }

  async markDisconnected(
    manager: EntityManager,
    row: ProviderConnectionEntity,
    reason: string,
  ): Promise<void> {
    const now = this.clock.now();
    this.assertTransition(row.status, 'disconnected');
    await this.connections.update(manager, row.id, {
      status: 'disconnected',
      statusReason: reason,
      disconnectedAt: now,
      updatedAt: now,
    });
    await this.events.record(manager, row.id, 'status_changed', {
      from: row.status,
      to: 'disconnected',
      reason,
    });
  }

  // The ones the user must act on are audited too.
  async transition(
    manager: EntityManager,
    ref: ConnectionRef,
    to: ConnectionStatus,
    reason: string | null,
    now: Date,
  ): Promise<void> {
    if (ref.status === to) return;
    this.assertTransition(ref.status, to);
    await this.connections.update(manager, ref.id, {
      status: to,
      statusReason: reason,
      updatedAt: now,
    });
    await this.events.record(manager, ref.id, 'status_changed', { from: ref.status, to, reason });
    if (to === 'reauth_required' || to === 'expiring') {
      await this.audit.record(manager, {
        type: `provider.${to}`,
        userId: ref.userId,
        data: { connectionId: ref.id, providerKey: ref.providerKey, reason },
      });
    }
  }

  // `reason` undefined keeps the last failure's, so a running retry still shows why the last one failed.
  async setSyncStatus(
    manager: EntityManager,
    ids: string[],
    status: SyncStatus,
    reason: string | null | undefined,
    syncedAt?: Date,
  ): Promise<void> {
    if (ids.length) await this.connections.setSyncStatus(manager, ids, status, reason, syncedAt);
  }

  recordEvent(
    manager: EntityManager,
    connectionId: string,
    type: ConnectionEventType,
    data?: Record<string, unknown>,
  ): Promise<void> {
    return this.events.record(manager, connectionId, type, data);
  }

  recordEvents(manager: EntityManager, events: NewConnectionEvent[]): Promise<void> {
    return this.events.recordMany(manager, events);
  }

  listEvents(
    connectionId: string,
    limit: number,
    before?: { id: string },
  ): Promise<ConnectionEventEntity[]> {
    return this.events.list(connectionId, limit, before);
  }

  private assertTransition(from: ConnectionStatus, to: ConnectionStatus): void {
    // A programming fault, not a client error: the callers check the status before deciding a change.
    if (!canTransition(from, to))
      throw new Error(`connection status ${from} → ${to} is not allowed`);
  }
}

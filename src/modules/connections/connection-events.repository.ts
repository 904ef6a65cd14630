import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { ConnectionEventEntity } from './connection-event.entity';

export const CONNECTION_EVENT_TYPES = [
  'status_changed',
  'authorization_started',
  'authorization_failed',
  'token_stored',
  'token_refreshed',
  'token_refresh_failed',
  'token_revoked',
  'token_destroyed',
  'sync_requested',
  'sync_completed',
  'sync_failed',
] as const;
export type ConnectionEventType = (typeof CONNECTION_EVENT_TYPES)[number];

export interface NewConnectionEvent {
  connectionId: string;
  type: ConnectionEventType;
  data?: Record<string, unknown>;
}

@Injectable()
export class ConnectionEventsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async record(
    manager: EntityManager,
    connectionId: string,
    type: ConnectionEventType,
    data: Record<string, unknown> = {},
  ): Promise<void> {
    // TypeORM's deep-partial type does not accept an open record for jsonb.
    await manager.insert(ConnectionEventEntity, {
      connectionId,
      type,
      data,
    } as QueryDeepPartialEntity<ConnectionEventEntity>);
  }

  // One statement; clock_timestamp() per row keeps the order of the list.
  async recordMany(manager: EntityManager, events: NewConnectionEvent[]): Promise<void> {
    if (events.length === 0) return;
    await manager.query(
      `INSERT INTO connection_events (connection_id, type, data)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::jsonb[])`,
      [
        events.map((e) => e.connectionId),
        events.map((e) => e.type),
        events.map((e) => JSON.stringify(e.data ?? {})),
      ],
    );
  }

  // created_at has microseconds, a JS Date only milliseconds, so compare against the stored row.
  async list(
    connectionId: string,
    limit: number,
    before?: { id: string },
  ): Promise<ConnectionEventEntity[]> {
    const qb = this.dataSource.manager
      .createQueryBuilder(ConnectionEventEntity, 'e')
      .where('e.connection_id = :connectionId', { connectionId })
      .orderBy('e.created_at', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .take(limit);
    if (before) {
      qb.andWhere(
        '(e.created_at, e.id) < (SELECT b.created_at, b.id FROM connection_events b WHERE b.id = :id AND b.connection_id = :connectionId)',
        { id: before.id },
      );
    }
    return qb.getMany();
  }
}

import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { ConnectionEventEntity } from './connection-event.entity';

export type ConnectionEventType =
  | 'status_changed'
  | 'authorization_started'
  | 'authorization_failed'
  | 'token_stored'
  | 'token_refreshed'
  | 'token_refresh_failed'
  | 'token_revoked'
  | 'token_destroyed';

/** The per-connection trail. Append-only by convention: nothing here updates or deletes. */
@Injectable()
export class ConnectionEventsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async record(
    manager: EntityManager,
    connectionId: string,
    type: ConnectionEventType,
    data: Record<string, unknown> = {},
  ): Promise<void> {
    // jsonb column: TypeORM's deep-partial type does not accept an open record, hence the cast.
    await manager.insert(ConnectionEventEntity, {
      connectionId,
      type,
      data,
    } as QueryDeepPartialEntity<ConnectionEventEntity>);
  }

  /**
   * Newest first; `before` is the id of the last item of the previous page. `created_at` has microseconds
   * (clock_timestamp()) but a JS Date only milliseconds, so the keyset compares against the stored row itself.
   */
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

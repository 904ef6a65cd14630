import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { queryRows } from '../../database/query-result';
import { ConnectionSyncEntity } from './connection-sync.entity';
import type { ConnectionStatus } from '../connections';

// The statuses whose tokens the refresh keeps usable.
export const SYNCABLE: readonly ConnectionStatus[] = ['active', 'expiring', 'degraded'];

@Injectable()
export class SyncScheduleRepository {
  // Due at `now`: new connections sync at once.
  async ensureScheduled(manager: EntityManager, now: Date): Promise<void> {
    await manager.query(
      `INSERT INTO connection_syncs (connection_id, next_sync_at, updated_at)
       SELECT c.id, $1, $1 FROM provider_connections c
       WHERE c.status = ANY($2::text[])
         AND NOT EXISTS (SELECT 1 FROM connection_syncs s WHERE s.connection_id = c.id)
       ON CONFLICT DO NOTHING`,
      [now, SYNCABLE],
    );
  }

  async lockOrCreate(
    manager: EntityManager,
    connectionId: string,
    now: Date,
  ): Promise<ConnectionSyncEntity> {
    await manager.query(
      `INSERT INTO connection_syncs (connection_id, next_sync_at, updated_at) VALUES ($1, $2, $2)
       ON CONFLICT DO NOTHING`,
      [connectionId, now],
    );
    return (await manager
      .createQueryBuilder(ConnectionSyncEntity, 's')
      .where('s.connection_id = :connectionId', { connectionId })
      .setLock('pessimistic_write')
      .getOne())!;
  }

  async update(
    manager: EntityManager,
    connectionId: string,
    patch: Partial<ConnectionSyncEntity>,
  ): Promise<void> {
    await manager.update(ConnectionSyncEntity, { connectionId }, patch);
  }

  // SKIP LOCKED, and the lease written in the same statement, so after COMMIT no other instance sees the rows as
  // due until the lease lapses (a crashed instance's claims free themselves).
  async claimDue(
    manager: EntityManager,
    owner: string,
    now: Date,
    leaseUntil: Date,
    limit: number,
  ): Promise<string[]> {
    const rows = await queryRows<{ connection_id: string }>(
      manager,
      `WITH due AS (
         SELECT s.connection_id FROM connection_syncs s JOIN provider_connections c ON c.id = s.connection_id
         WHERE s.next_sync_at <= $1 AND (s.lease_until IS NULL OR s.lease_until <= $1)
           AND c.status = ANY($5::text[])
         ORDER BY s.next_sync_at
         LIMIT $4
         FOR UPDATE OF s SKIP LOCKED
       )
       UPDATE connection_syncs s SET lease_owner = $2, lease_until = $3, last_started_at = $1, updated_at = $1
       FROM due WHERE s.connection_id = due.connection_id
       RETURNING s.connection_id`,
      [now, owner, leaseUntil, limit, SYNCABLE],
    );
    return rows.map((r) => r.connection_id);
  }

  // Null: the claim was lost (lapsed and re-claimed).
  async lockLease(
    manager: EntityManager,
    connectionId: string,
    owner: string,
  ): Promise<ConnectionSyncEntity | null> {
    return manager
      .createQueryBuilder(ConnectionSyncEntity, 's')
      .where('s.connection_id = :connectionId AND s.lease_owner = :owner', { connectionId, owner })
      .setLock('pessimistic_write')
      .getOne();
  }
}

import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import type { ConnectionStatus, SyncStatus } from '../providers/provider-connection.entity';

export interface SyncConnection {
  id: string;
  userId: string;
  providerKey: string;
  status: ConnectionStatus;
  statusReason: string | null;
  syncStatus: SyncStatus;
  syncStatusReason: string | null;
}

export type SyncEventType = 'sync_requested' | 'sync_completed' | 'sync_failed' | 'status_changed';

export const SYNCABLE: readonly ConnectionStatus[] = ['active', 'expiring', 'degraded'];

const COLUMNS = `id, user_id AS "userId", provider_key AS "providerKey", status, status_reason AS "statusReason",
  sync_status AS "syncStatus", sync_status_reason AS "syncStatusReason"`;

/**
 * Every read and write the sync makes on the connection itself: its sync status and lastSyncedAt, a status change
 * after a brokerage failure, and the event trail. One class, so that the connections module can own these
 * statements (it is the only writer of provider_connections and connection_events in the module redesign).
 */
@Injectable()
export class ConnectionSyncStateRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  /** The user's live connection (missing, foreign and disconnected all answer null); locked when `manager` is. */
  async findOwned(
    manager: EntityManager,
    userId: string,
    id: string,
  ): Promise<SyncConnection | null> {
    const rows: SyncConnection[] = await manager.query(
      `SELECT ${COLUMNS} FROM provider_connections
       WHERE id = $1 AND user_id = $2 AND status <> 'disconnected' FOR NO KEY UPDATE`,
      [id, userId],
    );
    return rows[0] ?? null;
  }

  /**
   * Locks the connection for a sync's write (FOR NO KEY UPDATE: serialised with disconnection, which takes
   * FOR UPDATE, so financial data is never written for a connection that is being removed).
   */
  async lock(manager: EntityManager, id: string): Promise<SyncConnection | null> {
    const rows: SyncConnection[] = await manager.query(
      `SELECT ${COLUMNS} FROM provider_connections WHERE id = $1 FOR NO KEY UPDATE`,
      [id],
    );
    return rows[0] ?? null;
  }

  async find(id: string): Promise<SyncConnection | null> {
    const rows: SyncConnection[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM provider_connections WHERE id = $1`,
      [id],
    );
    return rows[0] ?? null;
  }

  async setSyncStatus(
    manager: EntityManager,
    ids: string[],
    status: SyncStatus,
    /** undefined: keep the last failure's reason (a running retry still shows why the last one failed). */
    reason: string | null | undefined,
    syncedAt?: Date,
  ): Promise<void> {
    if (!ids.length) return;
    await manager.query(
      `UPDATE provider_connections SET sync_status = $2,
         sync_status_reason = CASE WHEN $5 THEN sync_status_reason ELSE $3 END,
         last_synced_at = COALESCE($4, last_synced_at)
       WHERE id = ANY($1::uuid[])`,
      [ids, status, reason ?? null, syncedAt ?? null, reason === undefined],
    );
  }

  async setStatus(
    manager: EntityManager,
    conn: SyncConnection,
    to: ConnectionStatus,
    reason: string | null,
    now: Date,
  ): Promise<void> {
    if (conn.status === to && conn.statusReason === reason) return;
    await manager.query(
      `UPDATE provider_connections SET status = $2, status_reason = $3, updated_at = $4 WHERE id = $1`,
      [conn.id, to, reason, now],
    );
    if (conn.status !== to) {
      await this.record(manager, conn.id, 'status_changed', { from: conn.status, to, reason });
    }
    // As token refresh does: losing the grant is a security-relevant event for the user.
    if (to === 'reauth_required' && conn.status !== to) {
      await this.audit.record(manager, {
        type: 'provider.reauth_required',
        userId: conn.userId,
        data: { connectionId: conn.id, providerKey: conn.providerKey, reason },
      });
    }
  }

  async record(
    manager: EntityManager,
    connectionId: string,
    type: SyncEventType,
    data: Record<string, unknown> = {},
  ): Promise<void> {
    await manager.query(
      `INSERT INTO connection_events (connection_id, type, data) VALUES ($1, $2, $3)`,
      [connectionId, type, JSON.stringify(data)],
    );
  }
}

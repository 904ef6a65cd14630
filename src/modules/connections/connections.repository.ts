import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { queryRows } from '../../database/query-result';
import type { ConnectionStatus } from './connection-status';
import { ProviderConnectionEntity, SyncStatus } from './provider-connection.entity';

export interface PageCursor {
  createdAt: Date;
  id: string;
}

// Plain SQL on the hot read paths (every listing, every ownership check): the query builder rebuilt and
// alias-rewrote the statement and hydrated entities on each call, ~10 % of a request's CPU in bench/http-providers.ts.
const SELECT_CONNECTION = `SELECT id, user_id, provider_key, alias, status, status_reason, connected_at,
       disconnected_at, sync_status, sync_status_reason, last_synced_at, created_at, updated_at
  FROM provider_connections`;

// Exported so the benchmark's bare server runs exactly these statements.
export const LIST_OWNED_SQL = `${SELECT_CONNECTION}
 WHERE user_id = $1 AND status <> 'disconnected'
 ORDER BY created_at DESC, id DESC LIMIT $2`;

export const LIST_OWNED_AFTER_SQL = `${SELECT_CONNECTION}
 WHERE user_id = $1 AND status <> 'disconnected' AND (created_at, id) < ($3, $4)
 ORDER BY created_at DESC, id DESC LIMIT $2`;

interface ConnectionRow {
  id: string;
  user_id: string;
  provider_key: string;
  alias: string | null;
  status: ConnectionStatus;
  status_reason: string | null;
  connected_at: Date | null;
  disconnected_at: Date | null;
  sync_status: SyncStatus;
  sync_status_reason: string | null;
  last_synced_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

function toEntity(r: ConnectionRow): ProviderConnectionEntity {
  return {
    id: r.id,
    userId: r.user_id,
    providerKey: r.provider_key,
    alias: r.alias,
    status: r.status,
    statusReason: r.status_reason,
    connectedAt: r.connected_at,
    disconnectedAt: r.disconnected_at,
    syncStatus: r.sync_status,
    syncStatusReason: r.sync_status_reason,
    lastSyncedAt: r.last_synced_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

@Injectable()
export class ConnectionsRepository {
  constructor(private readonly dataSource: DataSource) {}

  private m(manager?: EntityManager): EntityManager {
    return manager ?? this.dataSource.manager;
  }

  async insert(
    manager: EntityManager,
    row: Omit<ProviderConnectionEntity, 'id'>,
  ): Promise<ProviderConnectionEntity> {
    const result = await manager.insert(ProviderConnectionEntity, row);
    return { ...row, id: (result.identifiers[0] as { id: string }).id };
  }

  /** null for missing, foreign or disconnected alike: all answer 404. */
  async findOwned(
    userId: string,
    id: string,
    manager?: EntityManager,
    lock = false,
  ): Promise<ProviderConnectionEntity | null> {
    const rows: ConnectionRow[] = await queryRows(
      this.m(manager),
      `${SELECT_CONNECTION} WHERE id = $1 AND user_id = $2 AND status <> 'disconnected'${lock ? ' FOR UPDATE' : ''}`,
      [id, userId],
    );
    return rows.length ? toEntity(rows[0]) : null;
  }

  async findById(
    id: string,
    manager?: EntityManager,
    lock = false,
  ): Promise<ProviderConnectionEntity | null> {
    const rows: ConnectionRow[] = await queryRows(
      this.m(manager),
      `${SELECT_CONNECTION} WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
      [id],
    );
    return rows.length ? toEntity(rows[0]) : null;
  }

  async listOwned(
    userId: string,
    limit: number,
    after?: PageCursor,
  ): Promise<ProviderConnectionEntity[]> {
    const rows: ConnectionRow[] = after
      ? await queryRows(this.m(), LIST_OWNED_AFTER_SQL, [userId, limit, after.createdAt, after.id])
      : await queryRows(this.m(), LIST_OWNED_SQL, [userId, limit]);
    return rows.map(toEntity);
  }

  async update(
    manager: EntityManager,
    id: string,
    patch: Partial<Omit<ProviderConnectionEntity, 'id'>>,
  ): Promise<void> {
    await manager.update(ProviderConnectionEntity, { id }, patch);
  }

  /** `reason` undefined keeps the stored one; `syncedAt` undefined keeps last_synced_at. */
  async setSyncStatus(
    manager: EntityManager,
    ids: string[],
    status: SyncStatus,
    reason: string | null | undefined,
    syncedAt?: Date,
  ): Promise<void> {
    await manager.query(
      `UPDATE provider_connections SET sync_status = $2,
         sync_status_reason = CASE WHEN $5 THEN sync_status_reason ELSE $3 END,
         last_synced_at = COALESCE($4, last_synced_at)
       WHERE id = ANY($1::uuid[])`,
      [ids, status, reason ?? null, syncedAt ?? null, reason === undefined],
    );
  }
}

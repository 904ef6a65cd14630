import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { ConnectionStatus } from '../connections/connection-status';
import { ProviderTokenEntity } from './provider-token.entity';

export interface TokenRow extends ProviderTokenEntity {
  status: ConnectionStatus;
  userId: string;
}

const COLUMNS = `t.id, t.connection_id AS "connectionId", t.provider_key AS "providerKey",
  t.access_token_expires_at AS "accessTokenExpiresAt", t.refresh_token_expires_at AS "refreshTokenExpiresAt",
  t.obtained_at AS "obtainedAt", t.last_refreshed_at AS "lastRefreshedAt", t.refresh_count AS "refreshCount",
  t.scopes, t.refresh_due_at AS "refreshDueAt", t.failure_count AS "failureCount",
  t.next_attempt_at AS "nextAttemptAt", t.last_error_code AS "lastErrorCode",
  t.refresh_lease_id AS "refreshLeaseId", t.refresh_lease_until AS "refreshLeaseUntil",
  t.created_at AS "createdAt", t.updated_at AS "updatedAt", c.status, c.user_id AS "userId"`;

export interface RefreshedRow {
  id: string;
  accessTokenExpiresAt: Date;
  refreshCount: number;
  scopes: string[];
  refreshDueAt: Date;
}

// Status changes are the connections module's (ConnectionsService.transition), never written here.
@Injectable()
export class ProviderTokensRepository {
  constructor(private readonly dataSource: DataSource) {}

  async find(
    connectionId: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<TokenRow | null> {
    const rows: TokenRow[] = await manager.query(
      `SELECT ${COLUMNS} FROM provider_tokens t JOIN provider_connections c ON c.id = t.connection_id
       WHERE t.connection_id = $1`,
      [connectionId],
    );
    return rows[0] ?? null;
  }

  // FOR NO KEY UPDATE serialises with DELETE and the OAuth completion (FOR UPDATE). Every path locks the
  // connection before the token row (the opposite order deadlocks), and a batch locks each kind in id order.
  async lockConnection(manager: EntityManager, connectionIds: string | string[]): Promise<void> {
    await manager.query(
      `SELECT 1 FROM provider_connections WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE`,
      [([] as string[]).concat(connectionIds)],
    );
  }

  // Holds the token row locks until the transaction ends: the cross-instance single flight.
  lock(manager: EntityManager, connectionId: string): Promise<TokenRow | null>;
  lock(manager: EntityManager, connectionIds: string[]): Promise<TokenRow[]>;
  async lock(
    manager: EntityManager,
    ids: string | string[],
  ): Promise<TokenRow | TokenRow[] | null> {
    const rows: TokenRow[] = await manager.query(
      `SELECT ${COLUMNS} FROM provider_tokens t JOIN provider_connections c ON c.id = t.connection_id
       WHERE t.connection_id = ANY($1::uuid[]) ORDER BY t.connection_id FOR UPDATE OF t`,
      [([] as string[]).concat(ids)],
    );
    return Array.isArray(ids) ? rows : (rows[0] ?? null);
  }

  // Only the rows whose lease is still the given one.
  async lockClaimed(
    manager: EntityManager,
    claims: Array<{ connectionId: string; leaseId: string }>,
  ): Promise<TokenRow[]> {
    const ids = claims.map((c) => c.connectionId);
    await manager.query(
      `SELECT 1 FROM provider_connections WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE`,
      [ids],
    );
    return manager.query(
      `SELECT ${COLUMNS} FROM provider_tokens t JOIN provider_connections c ON c.id = t.connection_id
       JOIN unnest($1::uuid[], $2::uuid[]) AS v(connection_id, lease_id)
         ON v.connection_id = t.connection_id AND v.lease_id = t.refresh_lease_id
       ORDER BY t.connection_id FOR UPDATE OF t`,
      [ids, claims.map((c) => c.leaseId)],
    );
  }

  async insert(manager: EntityManager, row: Omit<ProviderTokenEntity, 'id'>): Promise<string> {
    const result = await manager.insert(ProviderTokenEntity, row);
    return (result.identifiers[0] as { id: string }).id;
  }

  async update(
    manager: EntityManager,
    id: string,
    patch: Partial<ProviderTokenEntity>,
  ): Promise<void> {
    await manager.update(ProviderTokenEntity, { id }, patch);
  }

  async delete(manager: EntityManager, id: string): Promise<void> {
    await manager.delete(ProviderTokenEntity, { id });
  }

  async setLeases(
    manager: EntityManager,
    leases: Array<{ id: string; leaseId: string }>,
    until: Date,
  ): Promise<void> {
    await manager.query(
      `UPDATE provider_tokens t SET refresh_lease_id = v.lease_id, refresh_lease_until = $3
       FROM unnest($1::uuid[], $2::uuid[]) AS v(id, lease_id) WHERE t.id = v.id`,
      [leases.map((l) => l.id), leases.map((l) => l.leaseId), until],
    );
  }

  // One statement for a batch of successful refreshes; clears failure state and lease.
  async markRefreshed(manager: EntityManager, rows: RefreshedRow[], now: Date): Promise<void> {
    await manager.query(
      `UPDATE provider_tokens t SET access_token_expires_at = v.access_exp, last_refreshed_at = $2,
         refresh_count = v.refresh_count, scopes = v.scopes, refresh_due_at = v.due, failure_count = 0,
         next_attempt_at = NULL, last_error_code = NULL, refresh_lease_id = NULL, refresh_lease_until = NULL,
         updated_at = $2
       FROM jsonb_to_recordset($1::jsonb)
         AS v(id uuid, access_exp timestamptz, refresh_count int, scopes text[], due timestamptz)
       WHERE t.id = v.id`,
      [
        JSON.stringify(
          rows.map((r) => ({
            id: r.id,
            access_exp: r.accessTokenExpiresAt,
            refresh_count: r.refreshCount,
            scopes: r.scopes,
            due: r.refreshDueAt,
          })),
        ),
        now,
      ],
    );
  }

  // SKIP LOCKED skips other sweepers' rows; moving refresh_due_at to `leaseUntil` in the same statement hides
  // the claim from them after COMMIT, and a crashed sweeper's claim lapses by itself.
  async claimDue(
    manager: EntityManager,
    providerKey: string,
    now: Date,
    leaseUntil: Date,
    limit: number,
  ): Promise<string[]> {
    const rows: Array<{ connection_id: string }> = await manager.query(
      `WITH due AS (
         SELECT t.id FROM provider_tokens t JOIN provider_connections c ON c.id = t.connection_id
         WHERE t.provider_key = $1 AND t.refresh_due_at <= $2 AND c.status IN ('active', 'expiring', 'degraded')
         ORDER BY t.refresh_due_at
         LIMIT $4
         FOR UPDATE OF t SKIP LOCKED
       ), claimed AS (
         UPDATE provider_tokens p SET refresh_due_at = $3 FROM due WHERE p.id = due.id RETURNING p.connection_id
       )
       SELECT connection_id FROM claimed`,
      [providerKey, now, leaseUntil, limit],
    );
    return rows.map((r) => r.connection_id);
  }
}

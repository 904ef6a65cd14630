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
  // connection before the token row; the opposite order deadlocks.
  async lockConnection(manager: EntityManager, connectionId: string): Promise<void> {
    await manager.query(`SELECT 1 FROM provider_connections WHERE id = $1 FOR NO KEY UPDATE`, [
      connectionId,
    ]);
  }

  // Holds the token row lock until the transaction ends: the cross-instance single flight.
  async lock(manager: EntityManager, connectionId: string): Promise<TokenRow | null> {
    const rows: TokenRow[] = await manager.query(
      `SELECT ${COLUMNS} FROM provider_tokens t JOIN provider_connections c ON c.id = t.connection_id
       WHERE t.connection_id = $1 FOR UPDATE OF t`,
      [connectionId],
    );
    return rows[0] ?? null;
  }

  // Only while `leaseId` is still the row's claim.
  async lockClaimed(
    manager: EntityManager,
    connectionId: string,
    leaseId: string,
  ): Promise<TokenRow | null> {
    await manager.query(`SELECT 1 FROM provider_connections WHERE id = $1 FOR NO KEY UPDATE`, [
      connectionId,
    ]);
    const rows: TokenRow[] = await manager.query(
      `SELECT ${COLUMNS} FROM provider_tokens t JOIN provider_connections c ON c.id = t.connection_id
       WHERE t.connection_id = $1 AND t.refresh_lease_id = $2 FOR UPDATE OF t`,
      [connectionId, leaseId],
    );
    return rows[0] ?? null;
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

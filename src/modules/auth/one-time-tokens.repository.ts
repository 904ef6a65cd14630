import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { OneTimeTokenPurpose } from './one-time-token.entity';
import { queryRows } from '../../database/query-result';

@Injectable()
export class OneTimeTokensRepository {
  async create(
    manager: EntityManager,
    values: {
      userId: string;
      purpose: OneTimeTokenPurpose;
      tokenHash: string;
      now: Date;
      expiresAt: Date;
    },
  ): Promise<void> {
    await manager.query(
      `INSERT INTO one_time_tokens (user_id, purpose, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
      [values.userId, values.purpose, values.tokenHash, values.now, values.expiresAt],
    );
  }

  // Single use by construction: the UPDATE that marks it used is also the lookup.
  async consume(
    manager: EntityManager,
    purpose: OneTimeTokenPurpose,
    tokenHash: string,
    now: Date,
  ): Promise<string | null> {
    const rows: Array<{ user_id: string }> = await queryRows(
      manager,
      `UPDATE one_time_tokens SET used_at = $3
        WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3
        RETURNING user_id`,
      [tokenHash, purpose, now],
    );
    return rows.length ? rows[0].user_id : null;
  }

  // Refuses an unknown token before expensive work; `consume` still decides.
  async isLive(
    manager: EntityManager,
    purpose: OneTimeTokenPurpose,
    tokenHash: string,
    now: Date,
  ): Promise<boolean> {
    const rows: unknown[] = await queryRows(
      manager,
      `SELECT 1 FROM one_time_tokens WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3`,
      [tokenHash, purpose, now],
    );
    return rows.length > 0;
  }

  async invalidateAll(
    manager: EntityManager,
    userId: string,
    purpose: OneTimeTokenPurpose,
    now: Date,
  ): Promise<void> {
    await manager.query(
      `UPDATE one_time_tokens SET used_at = $3 WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL`,
      [userId, purpose, now],
    );
  }

  // Skips the WAL flush wait (~2 ms), for rows a crash may lose at no cost.
  async skipCommitFlush(manager: EntityManager): Promise<void> {
    await manager.query(`SET LOCAL synchronous_commit = off`);
  }
}

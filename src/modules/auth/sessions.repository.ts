import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { queryRows } from '../../database/query-result';
import { SessionEntity } from './session.entity';

export interface LiveSession {
  userId: string;
  email: string;
  emailVerified: boolean;
  roles: string[];
}

export type RevokeReason =
  | 'logout'
  | 'logout_all'
  | 'password_change'
  | 'password_reset'
  | 'refresh_reuse'
  | 'revoked_by_user';

// Exported so a test can EXPLAIN exactly this statement.
export const FIND_LIVE_SQL = `SELECT u.email, u.email_verified_at, u.roles
  FROM sessions s JOIN users u ON u.id = s.user_id
 WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL
   AND s.idle_expires_at > $3 AND s.absolute_expires_at > $3`;

@Injectable()
export class SessionsRepository {
  constructor(private readonly dataSource: DataSource) {}

  private m(manager?: EntityManager): EntityManager {
    return manager ?? this.dataSource.manager;
  }

  async create(
    manager: EntityManager,
    values: {
      userId: string;
      refreshHash: string;
      now: Date;
      idleExpiresAt: Date;
      absoluteExpiresAt: Date;
      userAgent: string | null;
      ip: string | null;
    },
  ): Promise<string> {
    const rows: Array<{ id: string }> = await queryRows(
      manager,
      `INSERT INTO sessions (user_id, refresh_hash, created_at, last_used_at, idle_expires_at, absolute_expires_at, user_agent, ip)
       VALUES ($1, $2, $3, $3, $4, $5, $6, $7) RETURNING id`,
      [
        values.userId,
        values.refreshHash,
        values.now,
        values.idleExpiresAt,
        values.absoluteExpiresAt,
        values.userAgent,
        values.ip,
      ],
    );
    return rows[0].id;
  }

  async findLive(sessionId: string, userId: string, now: Date): Promise<LiveSession | null> {
    const rows: Array<{ email: string; email_verified_at: Date | null; roles: string[] }> =
      await queryRows(this.dataSource.manager, FIND_LIVE_SQL, [sessionId, userId, now]);
    if (!rows.length) return null;
    return {
      userId,
      email: rows[0].email,
      emailVerified: rows[0].email_verified_at !== null,
      roles: rows[0].roles,
    };
  }

  async findUserId(manager: EntityManager, sessionId: string): Promise<string | null> {
    const rows: Array<{ user_id: string }> = await queryRows(
      manager,
      `SELECT user_id FROM sessions WHERE id = $1`,
      [sessionId],
    );
    return rows[0]?.user_id ?? null;
  }

  findByRefreshHash(manager: EntityManager, refreshHash: string): Promise<SessionEntity | null> {
    return manager.findOne(SessionEntity, { where: { refreshHash } });
  }

  // Reuse detection.
  async findSessionIdByRotatedHash(
    manager: EntityManager,
    tokenHash: string,
  ): Promise<string | null> {
    const rows: Array<{ session_id: string }> = await queryRows(
      manager,
      `SELECT session_id FROM rotated_refresh_tokens WHERE token_hash = $1`,
      [tokenHash],
    );
    return rows.length ? rows[0].session_id : null;
  }

  // Compare-and-swap: a concurrent rotation of the same token matches zero rows (the loser is treated as reuse).
  async rotate(
    manager: EntityManager,
    values: {
      sessionId: string;
      oldHash: string;
      newHash: string;
      now: Date;
      idleTtlSeconds: number;
      ip: string | null;
      userAgent: string | null;
    },
  ): Promise<boolean> {
    const rows: unknown[] = await queryRows(
      manager,
      `UPDATE sessions SET refresh_hash = $3, last_used_at = $4,
              idle_expires_at = LEAST($4::timestamptz + make_interval(secs => $5), absolute_expires_at),
              ip = COALESCE($6, ip), user_agent = COALESCE($7, user_agent)
        WHERE id = $1 AND refresh_hash = $2 AND revoked_at IS NULL
          AND idle_expires_at > $4 AND absolute_expires_at > $4
        RETURNING id`,
      [
        values.sessionId,
        values.oldHash,
        values.newHash,
        values.now,
        values.idleTtlSeconds,
        values.ip,
        values.userAgent,
      ],
    );
    if (!rows.length) return false;
    await manager.query(
      `INSERT INTO rotated_refresh_tokens (token_hash, session_id, rotated_at) VALUES ($1, $2, $3)`,
      [values.oldHash, values.sessionId, values.now],
    );
    return true;
  }

  async revoke(
    manager: EntityManager,
    sessionId: string,
    reason: RevokeReason,
    now: Date,
    userId?: string,
  ): Promise<boolean> {
    const params: unknown[] = [sessionId, reason, now];
    if (userId) params.push(userId);
    const rows: unknown[] = await queryRows(
      manager,
      `UPDATE sessions SET revoked_at = $3, revoke_reason = $2
        WHERE id = $1 AND revoked_at IS NULL ${userId ? 'AND user_id = $4' : ''} RETURNING id`,
      params,
    );
    return rows.length > 0;
  }

  // Change-password spares the caller's.
  async revokeAllForUser(
    manager: EntityManager,
    userId: string,
    reason: RevokeReason,
    now: Date,
    exceptSessionId?: string,
  ): Promise<number> {
    const rows: unknown[] = await queryRows(
      manager,
      `UPDATE sessions SET revoked_at = $3, revoke_reason = $2
        WHERE user_id = $1 AND revoked_at IS NULL AND ($4::uuid IS NULL OR id <> $4::uuid) RETURNING id`,
      [userId, reason, now, exceptSessionId ?? null],
    );
    return rows.length;
  }

  listLive(userId: string, now: Date, manager?: EntityManager): Promise<SessionEntity[]> {
    return this.m(manager)
      .createQueryBuilder(SessionEntity, 's')
      .where('s.userId = :userId', { userId })
      .andWhere('s.revokedAt IS NULL')
      .andWhere('s.idleExpiresAt > :now AND s.absoluteExpiresAt > :now', { now })
      .orderBy('s.lastUsedAt', 'DESC')
      .getMany();
  }
}

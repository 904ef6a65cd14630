import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { queryRows } from '../../database/query-result';
import { UserEntity } from './user.entity';

export interface LockoutPolicy {
  threshold: number;
  baseSeconds: number;
  maxSeconds: number;
  // An older failure no longer counts: the next one starts again at 1.
  decaySeconds: number;
}

@Injectable()
export class UsersRepository {
  constructor(private readonly dataSource: DataSource) {}

  private m(manager?: EntityManager): EntityManager {
    return manager ?? this.dataSource.manager;
  }

  findById(id: string, manager?: EntityManager): Promise<UserEntity | null> {
    return this.m(manager).findOne(UserEntity, { where: { id } });
  }

  findByEmail(email: string, manager?: EntityManager): Promise<UserEntity | null> {
    return this.m(manager).findOne(UserEntity, { where: { email } });
  }

  // Race-safe against a concurrent registration of the same email; null when it exists.
  async insertIfAbsent(
    manager: EntityManager,
    values: {
      email: string;
      name: string | null;
      passwordHash: string;
      roles: string[];
      emailVerifiedAt: Date | null;
      now: Date;
    },
  ): Promise<UserEntity | null> {
    const rows: Array<{ id: string }> = await queryRows(
      manager,
      `INSERT INTO users (email, name, password_hash, roles, email_verified_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $6)
       ON CONFLICT (email) DO NOTHING
       RETURNING id`,
      [
        values.email,
        values.name,
        values.passwordHash,
        values.roles,
        values.emailVerifiedAt,
        values.now,
      ],
    );
    return rows.length ? this.findById(rows[0].id, manager) : null;
  }

  async markEmailVerified(manager: EntityManager, userId: string, now: Date): Promise<void> {
    await manager.query(
      `UPDATE users SET email_verified_at = COALESCE(email_verified_at, $2), updated_at = $2 WHERE id = $1`,
      [userId, now],
    );
  }

  async updateName(manager: EntityManager, userId: string, name: string, now: Date): Promise<void> {
    await manager.query(`UPDATE users SET name = $2, updated_at = $3 WHERE id = $1`, [
      userId,
      name,
      now,
    ]);
  }

  // Also clears any lockout: a successful reset must always give the owner access back.
  async setPassword(
    manager: EntityManager,
    userId: string,
    passwordHash: string,
    now: Date,
  ): Promise<void> {
    await manager.query(
      `UPDATE users SET password_hash = $2, failed_login_count = 0, locked_until = NULL, updated_at = $3 WHERE id = $1`,
      [userId, passwordHash, now],
    );
  }

  async addRole(manager: EntityManager, userId: string, role: string, now: Date): Promise<void> {
    await manager.query(
      `UPDATE users SET roles = array_append(roles, $2::text), updated_at = $3 WHERE id = $1 AND NOT ($2::text = ANY(roles))`,
      [userId, role, now],
    );
  }

  async isLockedForUpdate(manager: EntityManager, userId: string, now: Date): Promise<boolean> {
    const rows: Array<{ locked: boolean }> = await queryRows(
      manager,
      `SELECT COALESCE(locked_until > $2, false) AS locked FROM users WHERE id = $1 FOR UPDATE`,
      [userId, now],
    );
    return rows[0]?.locked ?? false;
  }

  async resetFailures(manager: EntityManager, userId: string): Promise<void> {
    await manager.query(
      `UPDATE users SET failed_login_count = 0, locked_until = NULL, last_failed_at = NULL WHERE id = $1 AND (failed_login_count <> 0 OR locked_until IS NOT NULL)`,
      [userId],
    );
  }

  // Locks for base·2^(failures−threshold) s, capped. Failures while locked do not extend the lock, so an attacker
  // cannot push it further out; the count decays so a stray failure long after a lock does not re-lock at the cap.
  async recordFailure(
    manager: EntityManager,
    userId: string,
    now: Date,
    policy: LockoutPolicy,
  ): Promise<{ lockedUntil: Date | null } | null> {
    const rows: Array<{ locked_until: Date | null }> = await queryRows(
      manager,
      `WITH prev AS (
         SELECT id, CASE WHEN last_failed_at > $2::timestamptz - make_interval(secs => $6::float8)
                     THEN failed_login_count ELSE 0 END + 1 AS n
         FROM users WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $2) FOR UPDATE)
       UPDATE users u SET
         failed_login_count = prev.n,
         last_failed_at = $2,
         locked_until = CASE WHEN prev.n >= $3
           THEN $2::timestamptz + make_interval(secs => LEAST($5::float8, $4::float8 * power(2, LEAST(prev.n - $3, 30))))
           ELSE NULL END
       FROM prev WHERE u.id = prev.id
       RETURNING u.locked_until`,
      [userId, now, policy.threshold, policy.baseSeconds, policy.maxSeconds, policy.decaySeconds],
    );
    return rows.length ? { lockedUntil: rows[0].locked_until } : null;
  }
}

import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

// One login = one session = one refresh-token family. Only the SHA-256 of the current refresh token is stored;
// superseded hashes go to `rotated_refresh_tokens` so a replay is recognised as reuse.
@Entity({ name: 'sessions' })
@Index('IDX_sessions_user', ['userId'])
export class SessionEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Index('UQ_sessions_refresh_hash', { unique: true })
  @Column({ name: 'refresh_hash', type: 'text' })
  refreshHash: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz' })
  lastUsedAt: Date;

  // Slides forward on each refresh, never past `absoluteExpiresAt`.
  @Column({ name: 'idle_expires_at', type: 'timestamptz' })
  idleExpiresAt: Date;

  @Column({ name: 'absolute_expires_at', type: 'timestamptz' })
  absoluteExpiresAt: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'revoke_reason', type: 'text', nullable: true })
  revokeReason: string | null;

  @Column({ name: 'user_agent', type: 'text', nullable: true })
  userAgent: string | null;

  @Column({ type: 'text', nullable: true })
  ip: string | null;
}

@Entity({ name: 'rotated_refresh_tokens' })
@Index('IDX_rotated_refresh_tokens_session', ['sessionId'])
export class RotatedRefreshTokenEntity {
  @Column({ name: 'token_hash', type: 'text', primary: true })
  tokenHash: string;

  @Column({ name: 'session_id', type: 'uuid' })
  sessionId: string;

  @Column({ name: 'rotated_at', type: 'timestamptz' })
  rotatedAt: Date;
}

import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type OneTimeTokenPurpose = 'verify_email' | 'password_reset';

/** Email-verification and password-reset tokens: random, stored as SHA-256, single-use, expiring. */
@Entity({ name: 'one_time_tokens' })
@Index('IDX_one_time_tokens_user_purpose', ['userId', 'purpose'])
export class OneTimeTokenEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Column({ type: 'text' })
  purpose: OneTimeTokenPurpose;

  @Index('UQ_one_time_tokens_hash', { unique: true })
  @Column({ name: 'token_hash', type: 'text' })
  tokenHash: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

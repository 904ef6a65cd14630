import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

// The tokens live encrypted in `secrets` (owner `provider_token`, this row's id). One row per connection,
// updated in place, so the secrets stay bound to the same owner.
@Entity({ name: 'provider_tokens' })
@Index('IDX_provider_tokens_due', ['providerKey', 'refreshDueAt'])
export class ProviderTokenEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_provider_tokens' })
  id: string;

  @Index('UQ_provider_tokens_connection', { unique: true })
  @Column({ name: 'connection_id', type: 'uuid' })
  connectionId: string;

  @Column({ name: 'provider_key', type: 'text' })
  providerKey: string;

  @Column({ name: 'access_token_expires_at', type: 'timestamptz' })
  accessTokenExpiresAt: Date;

  // Schwab: 7 days from the first exchange, not extended by refreshes.
  @Column({ name: 'refresh_token_expires_at', type: 'timestamptz', nullable: true })
  refreshTokenExpiresAt: Date | null;

  @Column({ name: 'obtained_at', type: 'timestamptz' })
  obtainedAt: Date;

  @Column({ name: 'last_refreshed_at', type: 'timestamptz', nullable: true })
  lastRefreshedAt: Date | null;

  @Column({ name: 'refresh_count', type: 'integer', default: 0 })
  refreshCount: number;

  @Column({ type: 'text', array: true, default: '{}' })
  scopes: string[];

  // Null: never (e.g. re-authorisation required). Also the sweep's lease.
  @Column({ name: 'refresh_due_at', type: 'timestamptz', nullable: true })
  refreshDueAt: Date | null;

  @Column({ name: 'failure_count', type: 'integer', default: 0 })
  failureCount: number;

  // Backoff or Retry-After.
  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true })
  nextAttemptAt: Date | null;

  // Any instance's claim; its id is the compare-and-swap token of the write.
  @Column({ name: 'refresh_lease_id', type: 'uuid', nullable: true })
  refreshLeaseId: string | null;

  @Column({ name: 'refresh_lease_until', type: 'timestamptz', nullable: true })
  refreshLeaseUntil: Date | null;

  @Column({ name: 'last_error_code', type: 'text', nullable: true })
  lastErrorCode: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

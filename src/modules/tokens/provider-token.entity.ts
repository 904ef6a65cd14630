import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Metadata of one connection's current token set. The tokens themselves live encrypted in the encryption
 * module's `secrets` table (owner `provider_token`, this row's id; fields access_token, refresh_token,
 * id_token). One row per connection, updated in place, so the secrets stay bound to the same owner.
 */
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

  /** The refresh token's hard end (Schwab: 7 days from the first exchange, not extended by refreshes). */
  @Column({ name: 'refresh_token_expires_at', type: 'timestamptz', nullable: true })
  refreshTokenExpiresAt: Date | null;

  /** When the current grant was obtained by exchanging an authorisation code. */
  @Column({ name: 'obtained_at', type: 'timestamptz' })
  obtainedAt: Date;

  @Column({ name: 'last_refreshed_at', type: 'timestamptz', nullable: true })
  lastRefreshedAt: Date | null;

  @Column({ name: 'refresh_count', type: 'integer', default: 0 })
  refreshCount: number;

  @Column({ type: 'text', array: true, default: '{}' })
  scopes: string[];

  /** When the sweep should next refresh (null: never, e.g. re-authorisation required). Also the sweep's lease. */
  @Column({ name: 'refresh_due_at', type: 'timestamptz', nullable: true })
  refreshDueAt: Date | null;

  /** Consecutive temporary failures; drives the exponential backoff. */
  @Column({ name: 'failure_count', type: 'integer', default: 0 })
  failureCount: number;

  /** No brokerage call before this instant (backoff or Retry-After). */
  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true })
  nextAttemptAt: Date | null;

  /** The claim of the refresh in progress (any instance): its id is the compare-and-swap token of the write. */
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

import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A pending OAuth authorisation. The `state` itself travels through the browser; only its SHA-256 is kept,
 * so a database reader cannot complete someone else's flow. The PKCE verifier is stored encrypted through
 * the encryption module (owner `oauth_state`, this row's id). Single use: `consumed_at` is set by
 * compare-and-swap before the code is exchanged.
 */
@Entity({ name: 'oauth_states' })
@Index('IDX_oauth_states_connection', ['connectionId'])
export class OAuthStateEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_oauth_states' })
  id: string;

  @Index('UQ_oauth_states_state_hash', { unique: true })
  @Column({ name: 'state_hash', type: 'text' })
  stateHash: string;

  @Column({ name: 'connection_id', type: 'uuid' })
  connectionId: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Column({ name: 'provider_key', type: 'text' })
  providerKey: string;

  /** SHA-256 of the cookie set on the browser that started the flow; the GET callback must present it. */
  @Column({ name: 'browser_hash', type: 'text', nullable: true })
  browserHash: string | null;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'consumed_at', type: 'timestamptz', nullable: true })
  consumedAt: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

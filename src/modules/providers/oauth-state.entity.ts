import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

// Only the state's hash is stored, so a database reader cannot complete someone else's flow; the
// PKCE verifier is a secret (owner `oauth_state`). Single use: compare-and-swap on `consumed_at`.
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

  /** The GET callback must present the cookie of the browser that started the flow. */
  @Column({ name: 'browser_hash', type: 'text', nullable: true })
  browserHash: string | null;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'consumed_at', type: 'timestamptz', nullable: true })
  consumedAt: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

import { Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';

export type AccountStatus = 'open' | 'closed';

// TypeORM hands NUMERIC over as strings: exact.
export const DECIMAL = { type: 'numeric', precision: 28, scale: 8 } as const;

// Closed, never deleted, when the brokerage stops returning it; deleted with its connection. Only the last 4
// digits of the number are stored; the API handle (Schwab's hashValue) is a secret (owner `brokerage_account`).
@Entity({ name: 'brokerage_accounts' })
@Index('UQ_brokerage_accounts_connection_external', ['connectionId', 'externalId'], {
  unique: true,
})
@Index('IDX_brokerage_accounts_user_created', ['userId', 'createdAt', 'id'])
export class BrokerageAccountEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_brokerage_accounts' })
  id: string;

  // By table name: no import of another module's entity; the cascade is the point (see the migration).
  @ForeignKey('provider_connections', {
    name: 'FK_brokerage_accounts_connection',
    onDelete: 'CASCADE',
  })
  @Column({ name: 'connection_id', type: 'uuid' })
  connectionId: string;

  // Denormalised: every read is `WHERE user_id = $me`, one index, no join.
  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Column({ name: 'provider_key', type: 'text' })
  providerKey: string;

  @Column({ name: 'external_id', type: 'text' })
  externalId: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text' })
  type: string;

  @Column({ name: 'number_last4', type: 'text' })
  numberLast4: string;

  @Column({ type: 'text' })
  currency: string;

  @Column({ type: 'text', default: 'open' })
  status: AccountStatus;

  @Column({ ...DECIMAL })
  cash: string;

  @Column({ name: 'market_value', ...DECIMAL })
  marketValue: string;

  @Column({ ...DECIMAL })
  total: string;

  @Column({ name: 'positions_as_of', type: 'timestamptz', nullable: true })
  positionsAsOf: Date | null;

  @Column({ name: 'last_synced_at', type: 'timestamptz' })
  lastSyncedAt: Date;

  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true })
  closedAt: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

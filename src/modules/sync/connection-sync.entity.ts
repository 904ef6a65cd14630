import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';

/**
 * The sync schedule of one connection and its cross-instance claim: a claimer sets `lease_owner` and
 * `lease_until` (FOR UPDATE SKIP LOCKED), and only the lease owner may write the sync's result.
 */
@Entity({ name: 'connection_syncs' })
@Index('IDX_connection_syncs_next', ['nextSyncAt'])
export class ConnectionSyncEntity {
  @ForeignKey('provider_connections', {
    name: 'FK_connection_syncs_connection',
    onDelete: 'CASCADE',
  })
  @PrimaryColumn({
    name: 'connection_id',
    type: 'uuid',
    primaryKeyConstraintName: 'PK_connection_syncs',
  })
  connectionId: string;

  @Column({ name: 'next_sync_at', type: 'timestamptz' })
  nextSyncAt: Date;

  @Column({ name: 'lease_owner', type: 'uuid', nullable: true })
  leaseOwner: string | null;

  @Column({ name: 'lease_until', type: 'timestamptz', nullable: true })
  leaseUntil: Date | null;

  /** Last on-demand request: the minimum interval between two is counted from here or the last start. */
  @Column({ name: 'requested_at', type: 'timestamptz', nullable: true })
  requestedAt: Date | null;

  @Column({ name: 'last_started_at', type: 'timestamptz', nullable: true })
  lastStartedAt: Date | null;

  @Column({ name: 'failure_count', type: 'integer', default: 0 })
  failureCount: number;

  /** The connection is `degraded` because of a sync failure (not a token one): the next success heals it. */
  @Column({ name: 'degraded_by_sync', type: 'boolean', default: false })
  degradedBySync: boolean;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';

// Only the lease owner may write the sync's result.
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

  // The minimum interval between on-demand requests counts from here or the last start.
  @Column({ name: 'requested_at', type: 'timestamptz', nullable: true })
  requestedAt: Date | null;

  @Column({ name: 'last_started_at', type: 'timestamptz', nullable: true })
  lastStartedAt: Date | null;

  @Column({ name: 'failure_count', type: 'integer', default: 0 })
  failureCount: number;

  // Degraded by a sync failure (not a token one): the next success heals it.
  @Column({ name: 'degraded_by_sync', type: 'boolean', default: false })
  degradedBySync: boolean;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

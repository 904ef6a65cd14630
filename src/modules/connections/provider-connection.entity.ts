import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { ConnectionStatus } from './connection-status';

export const SYNC_STATUSES = ['idle', 'queued', 'running', 'failed'] as const;
export type SyncStatus = (typeof SYNC_STATUSES)[number];

// Removal marks the row `disconnected` rather than deleting it, so its event trail stays.
@Entity({ name: 'provider_connections' })
@Index('IDX_provider_connections_user_created', ['userId', 'createdAt', 'id'])
export class ProviderConnectionEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_provider_connections' })
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Column({ name: 'provider_key', type: 'text' })
  providerKey: string;

  @Column({ type: 'text', nullable: true })
  alias: string | null;

  @Column({ type: 'text', default: 'pending_auth' })
  status: ConnectionStatus;

  @Column({ name: 'status_reason', type: 'text', nullable: true })
  statusReason: string | null;

  @Column({ name: 'connected_at', type: 'timestamptz', nullable: true })
  connectedAt: Date | null;

  @Column({ name: 'disconnected_at', type: 'timestamptz', nullable: true })
  disconnectedAt: Date | null;

  /** The financial-data sync's state (ConnectionsService.setSyncStatus); optional so inserts take the defaults. */
  @Column({ name: 'sync_status', type: 'text', default: 'idle' })
  syncStatus?: SyncStatus;

  @Column({ name: 'sync_status_reason', type: 'text', nullable: true })
  syncStatusReason?: string | null;

  @Column({ name: 'last_synced_at', type: 'timestamptz', nullable: true })
  lastSyncedAt?: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

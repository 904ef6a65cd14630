import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

// Append-only: a trigger in the migration makes PostgreSQL itself refuse UPDATE and DELETE on this table.
@Entity({ name: 'audit_events' })
@Index('IDX_audit_events_user_created', ['userId', 'createdAt'])
@Index('IDX_audit_events_type_created', ['type', 'createdAt'])
export class AuditEventEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  type: string;

  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId: string | null;

  @Column({ type: 'text', nullable: true })
  ip: string | null;

  @Column({ name: 'user_agent', type: 'text', nullable: true })
  userAgent: string | null;

  @Column({ name: 'request_id', type: 'text', nullable: true })
  requestId: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  data: Record<string, unknown>;

  // clock_timestamp(), not now(): events inside one transaction keep their real order.
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'clock_timestamp()' })
  createdAt: Date;
}

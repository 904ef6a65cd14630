import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditEventEntity } from './audit-event.entity';

export interface AuditRecord {
  /** Dotted or snake_case event name, e.g. `login_failed`, `refresh_reuse`, `provider.connected`. */
  type: string;
  userId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
  /** Context only: never a password, token, key or code (the table is permanent). */
  data?: Record<string, unknown>;
}

const MAX_UA = 512;

@Injectable()
export class AuditService {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Appends one event using the caller's transaction manager, so the event commits or rolls back together
   * with the change it records. Pass `undefined` only for events that stand alone.
   */
  async record(manager: EntityManager | undefined, event: AuditRecord): Promise<void> {
    const m = manager ?? this.dataSource.manager;
    await m.insert(AuditEventEntity, {
      type: event.type,
      userId: event.userId ?? null,
      ip: event.ip ?? null,
      userAgent: event.userAgent ? event.userAgent.slice(0, MAX_UA) : null,
      requestId: event.requestId ?? null,
      // TypeORM's deep-partial typing does not model jsonb objects; the value is plain JSON.
      data: (event.data ?? {}) as object,
    });
  }

  /** Recent events of one user, newest first (support and tests). */
  async forUser(userId: string, limit = 100, manager?: EntityManager): Promise<AuditEventEntity[]> {
    return (manager ?? this.dataSource.manager).find(AuditEventEntity, {
      where: { userId },
      order: { createdAt: 'DESC' },
      take: limit,
    });
  }
}

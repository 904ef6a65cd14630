import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditEventEntity } from './audit-event.entity';
import { AuditEventsRepository } from './audit-events.repository';

export interface AuditRecord {
  type: string;
  userId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
  // Never a password, token, key or code: the table is permanent.
  data?: Record<string, unknown>;
}

const MAX_UA = 512;

@Injectable()
export class AuditService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly events: AuditEventsRepository,
  ) {}

  // The caller's manager, so the event commits or rolls back with the change it records.
  async record(manager: EntityManager | undefined, event: AuditRecord): Promise<void> {
    await this.events.append(manager ?? this.dataSource.manager, {
      type: event.type,
      userId: event.userId ?? null,
      ip: event.ip ?? null,
      userAgent: event.userAgent ? event.userAgent.slice(0, MAX_UA) : null,
      requestId: event.requestId ?? null,
      data: event.data ?? {},
    });
  }

  forUser(userId: string, limit = 100, manager?: EntityManager): Promise<AuditEventEntity[]> {
    return this.events.findRecentForUser(manager ?? this.dataSource.manager, userId, limit);
  }
}

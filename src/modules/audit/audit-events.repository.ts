import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AuditEventEntity } from './audit-event.entity';

export type NewAuditEvent = Pick<
  AuditEventEntity,
  'type' | 'userId' | 'ip' | 'userAgent' | 'requestId' | 'data'
>;

@Injectable()
export class AuditEventsRepository {
  async append(manager: EntityManager, event: NewAuditEvent): Promise<void> {
    // TypeORM's deep-partial typing does not model jsonb objects; the value is plain JSON.
    await manager.insert(AuditEventEntity, { ...event, data: event.data as object });
  }

  findRecentForUser(
    manager: EntityManager,
    userId: string,
    limit: number,
  ): Promise<AuditEventEntity[]> {
    return manager.find(AuditEventEntity, {
      where: { userId },
      order: { createdAt: 'DESC' },
      take: limit,
    });
  }
}

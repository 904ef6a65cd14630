import { Global, Module } from '@nestjs/common';
import { DatabaseModule } from '../../database/database.module';
import { AuditEventEntity } from './audit-event.entity';
import { AuditEventsRepository } from './audit-events.repository';
import { AuditService } from './audit.service';

/** Global: every module may record security events (`AuditService.record(tx.manager, {...})`). */
@Global()
@Module({
  imports: [DatabaseModule.forFeature([AuditEventEntity])],
  providers: [AuditEventsRepository, AuditService],
  exports: [AuditService],
})
export class AuditModule {}

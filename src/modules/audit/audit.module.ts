import { Global, Module } from '@nestjs/common';
import { AuditService } from './audit.service';

/** Global: every module may record security events (`AuditService.record(tx.manager, {...})`). */
@Global()
@Module({ providers: [AuditService], exports: [AuditService] })
export class AuditModule {}

import { Module } from '@nestjs/common';
import { DatabaseModule } from '../../database/database.module';
import { AccountsModule } from '../accounts/accounts.module';
import { BrokeragesModule } from '../brokerages/brokerages.module';
import { ConnectionsModule } from '../connections/connections.module';
import { EncryptionModule } from '../encryption/encryption.module';
import { RANDOM } from '../tokens/backoff';
import { TokensModule } from '../tokens/tokens.module';
import { ConnectionSyncEntity } from './connection-sync.entity';
import { SyncRequestsService } from './sync-requests.service';
import { SyncScheduleRepository } from './sync-schedule.repository';
import { SyncSchedulerService } from './sync-scheduler.service';
import { SyncController } from './sync.controller';
import { SyncService } from './sync.service';

// SchedulerRegistry comes from ScheduleModule.forRoot() in TokensModule (a global provider).
@Module({
  imports: [
    AccountsModule,
    BrokeragesModule,
    ConnectionsModule,
    DatabaseModule.forFeature([ConnectionSyncEntity]),
    EncryptionModule,
    TokensModule,
  ],
  controllers: [SyncController],
  providers: [
    SyncRequestsService,
    SyncScheduleRepository,
    SyncSchedulerService,
    SyncService,
    { provide: RANDOM, useValue: Math.random },
  ],
  exports: [SyncSchedulerService, SyncService],
})
export class SyncModule {}

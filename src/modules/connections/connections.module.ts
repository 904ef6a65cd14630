import { Module } from '@nestjs/common';
import { DatabaseModule } from '../../database/database.module';
import { ConnectionEventEntity } from './connection-event.entity';
import { ConnectionEventsRepository } from './connection-events.repository';
import { ConnectionsRepository } from './connections.repository';
import { ConnectionsService } from './connections.service';
import { ProviderConnectionEntity } from './provider-connection.entity';

/** A user's brokerage connections: rows, the status state machine and the per-connection event trail. */
@Module({
  imports: [DatabaseModule.forFeature([ConnectionEventEntity, ProviderConnectionEntity])],
  providers: [ConnectionEventsRepository, ConnectionsRepository, ConnectionsService],
  exports: [ConnectionsService],
})
export class ConnectionsModule {}

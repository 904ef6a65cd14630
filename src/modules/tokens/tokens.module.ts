import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { DatabaseModule } from '../../database/database.module';
import { BrokeragesModule } from '../brokerages/brokerages.module';
import { ConnectionsModule } from '../connections/connections.module';
import { EncryptionModule } from '../encryption/encryption.module';
import { RANDOM } from './backoff';
import { ProviderTokenEntity } from './provider-token.entity';
import { ProviderTokensRepository } from './provider-tokens.repository';
import { TokenSweepService } from './token-sweep.service';
import { TokensService } from './tokens.service';

/** Encrypted brokerage tokens and their refresh (on demand and by the sweep). */
@Module({
  imports: [
    BrokeragesModule,
    ConnectionsModule,
    DatabaseModule.forFeature([ProviderTokenEntity]),
    EncryptionModule,
    ScheduleModule.forRoot(),
  ],
  providers: [
    ProviderTokensRepository,
    TokenSweepService,
    TokensService,
    { provide: RANDOM, useValue: Math.random },
  ],
  exports: [TokenSweepService, TokensService],
})
export class TokensModule {}

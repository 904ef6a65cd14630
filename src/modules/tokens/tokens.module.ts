import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { EncryptionModule } from '../encryption/encryption.module';
import { BrokerageAdaptersModule } from '../providers/adapters/brokerage-adapters.module';
import { RANDOM } from './backoff';
import { ConnectionEventsRepository } from './connection-events.repository';
import { ProviderTokensRepository } from './provider-tokens.repository';
import { TokenSweepService } from './token-sweep.service';
import { TokensService } from './tokens.service';

/** Encrypted brokerage tokens, refresh (on demand and by the sweep) and the per-connection event trail. */
@Module({
  imports: [BrokerageAdaptersModule, EncryptionModule, ScheduleModule.forRoot()],
  providers: [
    ConnectionEventsRepository,
    ProviderTokensRepository,
    TokenSweepService,
    TokensService,
    { provide: RANDOM, useValue: Math.random },
  ],
  exports: [ConnectionEventsRepository, TokenSweepService, TokensService],
})
export class TokensModule {}

import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import Redis from 'ioredis';
import type { AppConfig } from '../../config';
import { APP_CONFIG } from '../../config';
import { DatabaseModule } from '../../database/database.module';
import { BrokeragesModule } from '../brokerages/brokerages.module';
import { ConnectionsModule } from '../connections/connections.module';
import { EncryptionModule } from '../encryption/encryption.module';
import { RANDOM } from './backoff';
import { RateBudget } from './rate-budget';
import { RedisRateBudget } from './redis-rate-budget';
import { REFRESH_BUDGET } from './refresh-budget';
import { ProviderTokenEntity } from './provider-token.entity';
import { ProviderTokensRepository } from './provider-tokens.repository';
import { RefreshClaims } from './refresh-claims';
import { RefreshOutcomes } from './refresh-outcomes';
import { TokenPolicy } from './token-policy';
import { TokenStore } from './token-store.service';
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
    RefreshClaims,
    RefreshOutcomes,
    TokenPolicy,
    TokenStore,
    TokenSweepService,
    TokensService,
    { provide: RANDOM, useValue: Math.random },
    {
      provide: REFRESH_BUDGET,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        config.auth.redisUrl
          ? new RedisRateBudget(new Redis(config.auth.redisUrl, { maxRetriesPerRequest: 2 }))
          : new RateBudget(),
    },
  ],
  exports: [TokenSweepService, TokensService],
})
export class TokensModule {}

import { Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { getStorageToken, ThrottlerModule, ThrottlerStorage } from '@nestjs/throttler';
import Redis from 'ioredis';
import type { AppConfig } from '../../config';
import { APP_CONFIG } from '../../config';
import { DatabaseModule } from '../../database/database.module';
import { AccessTokenService } from './access-token.service';
import { AccountMailService } from './account-mail.service';
import { AccountService } from './account.service';
import { authThrottlers, AuthThrottlerGuard } from './auth-throttler.guard';
import { AuthController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { OneTimeTokenEntity } from './one-time-token.entity';
import { OneTimeTokensRepository } from './one-time-tokens.repository';
import { LoginService } from './login.service';
import { PasswordService } from './password.service';
import { PasswordsService } from './passwords.service';
import { RedisThrottlerStorage } from './redis-throttler.storage';
import { RotatedRefreshTokenEntity, SessionEntity } from './session.entity';
import { RegistrationService } from './registration.service';
import { SessionTokensService } from './session-tokens.service';
import { SessionsRepository } from './sessions.repository';
import { UserEntity } from './user.entity';
import { UsersRepository } from './users.repository';

@Injectable()
class ThrottleStorageLifecycle implements OnApplicationShutdown {
  constructor(@Inject(getStorageToken()) private readonly storage: ThrottlerStorage) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.storage instanceof RedisThrottlerStorage) await this.storage.close();
  }
}

// Depends on the global AuditModule and MailModule.
@Module({
  imports: [
    DatabaseModule.forFeature([
      OneTimeTokenEntity,
      RotatedRefreshTokenEntity,
      SessionEntity,
      UserEntity,
    ]),
    ThrottlerModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        throttlers: authThrottlers(config.auth),
        setHeaders: false,
        storage: config.auth.redisUrl
          ? new RedisThrottlerStorage(
              new Redis(config.auth.redisUrl, {
                maxRetriesPerRequest: 2,
                enableOfflineQueue: true,
              }),
            )
          : undefined,
      }),
    }),
  ],
  controllers: [AuthController],
  providers: [
    AccessTokenService,
    AccountMailService,
    AccountService,
    AuthThrottlerGuard,
    LoginService,
    OneTimeTokensRepository,
    PasswordService,
    PasswordsService,
    RegistrationService,
    SessionTokensService,
    SessionsRepository,
    ThrottleStorageLifecycle,
    UsersRepository,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [
    AccessTokenService,
    LoginService,
    PasswordService,
    RegistrationService,
    SessionsRepository,
    UsersRepository,
  ],
})
export class AuthModule {}

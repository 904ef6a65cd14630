import { Module } from '@nestjs/common';
import { ClockModule } from './common/clock';
import { LoggingModule } from './common/logging/logging.module';
import { ConfigModule } from './config';
import { DatabaseModule } from './database/database.module';
import { AccountsModule } from './modules/accounts/accounts.module';
import { AuditModule } from './modules/audit/audit.module';
import { AuthModule } from './modules/auth/auth.module';
import { BrokeragesModule } from './modules/brokerages/brokerages.module';
import { ConnectionsModule } from './modules/connections/connections.module';
import { EncryptionModule } from './modules/encryption/encryption.module';
import { HealthModule } from './modules/health/health.module';
import { MailModule } from './modules/mail/mail.module';
import { ProvidersModule } from './modules/providers/providers.module';
import { SyncModule } from './modules/sync/sync.module';
import { TokensModule } from './modules/tokens/tokens.module';

@Module({
  imports: [
    AccountsModule,
    AuditModule,
    AuthModule,
    BrokeragesModule,
    ClockModule,
    ConfigModule,
    ConnectionsModule,
    DatabaseModule,
    EncryptionModule,
    HealthModule,
    LoggingModule,
    MailModule,
    ProvidersModule,
    SyncModule,
    TokensModule,
  ],
})
export class AppModule {}

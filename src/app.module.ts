import { Module } from '@nestjs/common';
import { ClockModule } from './common/clock';
import { LoggingModule } from './common/logging/logging.module';
import { ConfigModule } from './config';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './modules/health/health.module';

@Module({
  imports: [
    ClockModule,
    ConfigModule,
    DatabaseModule,
    HealthModule,
    LoggingModule,
  ],
})
export class AppModule {}

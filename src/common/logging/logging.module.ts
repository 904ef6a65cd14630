import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { AppConfig, APP_CONFIG } from '../../config';
import { AppLogger } from './app-logger';
import { pinoHttpParams } from './pino-options';

export const LOG_DESTINATION = Symbol('LOG_DESTINATION');

@Module({
  imports: [
    LoggerModule.forRootAsync({
      providers: [{ provide: LOG_DESTINATION, useValue: null }],
      inject: [APP_CONFIG, LOG_DESTINATION],
      useFactory: (config: AppConfig, destination: DestinationStream | null) => ({
        pinoHttp: pinoHttpParams(config, destination),
      }),
    }),
  ],
  providers: [AppLogger],
  exports: [AppLogger],
})
export class LoggingModule {}

import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { AppConfig, APP_CONFIG } from '../../config';
import { AppLogger } from './app-logger';
import { pinoHttpParams } from './pino-options';

/** Where log lines go: null is stdout (or the pino-pretty transport). Tests override it to capture lines. */
export const LOG_DESTINATION = Symbol('LOG_DESTINATION');

/** Structured logs (pino): JSON in production, pretty in development, the request id on every line. */
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

import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppConfig, APP_CONFIG } from '../../config';
import { requestIdFor } from '../http/request-id';
import { redactDeep, redactUrl } from './redact';

/** Structured logs (pino): JSON in production, pretty in development, the request id on every line. */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        pinoHttp: {
          level: config.app.logLevel,
          transport: config.app.logPretty ? { target: 'pino-pretty', options: { singleLine: true } } : undefined,
          genReqId: (req: IncomingMessage, res: ServerResponse) => requestIdFor(req, res),
          customAttributeKeys: { reqId: 'requestId' },
          serializers: {
            req: (req: { id: string; method: string; url: string; headers: Record<string, unknown> }) => ({
              id: req.id,
              method: req.method,
              url: redactUrl(req.url),
              userAgent: req.headers['user-agent'],
            }),
            // pino-http hands custom serializers its own view of the response; the real one is `raw`.
            res: (res: { statusCode?: number | null; raw?: { statusCode: number } }) => ({ statusCode: res.raw?.statusCode ?? res.statusCode }),
          },
          formatters: { log: (obj: Record<string, unknown>) => redactDeep(obj) as Record<string, unknown> },
          autoLogging: { ignore: (req: IncomingMessage) => req.url === '/health' },
        },
      }),
    }),
  ],
})
export class LoggingModule {}

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DestinationStream, Level } from 'pino';
import type { Options } from 'pino-http';
import type { AppConfig } from '../../config';
import { requestIdFor } from '../http/request-id';
import { CENSOR, maskNested, redactPaths, redactUrl } from './redact';

interface SerializedReq {
  id: string;
  method: string;
  url: string;
  headers: Record<string, unknown>;
}

export function pinoHttpOptions(config: AppConfig): Options {
  return {
    level: config.app.logLevel,
    transport: config.app.logPretty
      ? { target: 'pino-pretty', options: { singleLine: true } }
      : undefined,
    genReqId: (req: IncomingMessage, res: ServerResponse) => requestIdFor(req, res),
    customAttributeKeys: { reqId: 'requestId' },
    // Client mistakes are routine traffic (info); only the server's own failures are errors.
    customLogLevel: (_req, res, err): Level =>
      err || (res.statusCode ?? 0) >= 500 ? 'error' : 'info',
    serializers: {
      req: (req: SerializedReq) => ({
        id: req.id,
        method: req.method,
        url: redactUrl(req.url),
        userAgent: req.headers['user-agent'],
      }),
      // pino-http hands custom serializers its own view of the response; the real one is `raw`.
      res: (res: { statusCode?: number | null; raw?: { statusCode: number } }) => ({
        statusCode: res.raw?.statusCode ?? res.statusCode,
      }),
    },
    redact: { paths: redactPaths(), censor: CENSOR },
    formatters: { log: maskNested },
    autoLogging: { ignore: (req: IncomingMessage) => req.url === '/health' },
  };
}

// A transport and a destination stream (tests capture lines) exclude each other.
export function pinoHttpParams(
  config: AppConfig,
  destination?: DestinationStream | null,
): Options | [Options, DestinationStream] {
  const options = pinoHttpOptions(config);
  if (!destination) return options;
  return [{ ...options, transport: undefined }, destination];
}

import { RequestMethod, ValidationError, ValidationPipe, VersioningType } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { AppConfig, APP_CONFIG } from './config';
import { DOMAIN_ERROR_HTTP, PROBLEM_CODES } from './app.errors';
import {
  FieldError,
  ProblemDetailsFilter,
  ValidationFailedException,
} from './common/http/problem-details.filter';
import { inspectInput, requireJsonBodies } from './common/http/input-guard';
import { noStore, securityHeaders } from './common/http/security-headers';
import { completeOpenApiDocument, operationId, Problem } from './common/http/openapi';
import { AppLogger } from './common/logging/app-logger';

// Body parsing is configured by configureApp.
export const APP_OPTIONS = { bodyParser: false, bufferLogs: true } as const;

const DOCS_PATH = '/docs';
// Browsers cap this (Chromium at 2 h); 10 minutes spares most preflights while a policy change lands soon.
export const CORS_MAX_AGE_SECONDS = 600;

const UNPREFIXED = [
  { path: 'health{/*rest}', method: RequestMethod.ALL },
  { path: 'sandbox{/*rest}', method: RequestMethod.ALL },
];

// main.ts and the test app factory both call this, so e2e specs exercise the production pipeline.
export function configureApp(app: NestExpressApplication): NestExpressApplication {
  const config = app.get<AppConfig>(APP_CONFIG);
  app.useLogger(app.get(AppLogger));
  app.set('trust proxy', config.app.trustedProxies.length ? config.app.trustedProxies : false);
  app.disable('x-powered-by');
  // Every API response is `Cache-Control: no-store`, so a validator is never used; Express would hash each body.
  app.set('etag', false);
  // First, so refusals by the middleware below (413, 415, 400) still carry CORS headers a browser can read.
  app.enableCors({
    origin: config.app.corsOrigins,
    credentials: true,
    exposedHeaders: ['X-Request-Id', 'Retry-After', 'Location'],
    maxAge: CORS_MAX_AGE_SECONDS,
  });
  app.use(securityHeaders(config.app.publicUrl, DOCS_PATH), noStore(DOCS_PATH));
  // Only the sandbox's OAuth endpoints take forms (RFC 6749 token requests); everything else is JSON.
  app.use(requireJsonBodies(['/sandbox/oauth/']));
  app.useBodyParser('json', { limit: config.app.bodyLimitBytes, type: 'application/json' });
  app.useBodyParser('urlencoded', { limit: config.app.bodyLimitBytes, extended: false });
  app.use(inspectInput());
  app.setGlobalPrefix('api', { exclude: UNPREFIXED });
  app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: (errors) => new ValidationFailedException(flatten(errors)),
    }),
  );
  app.useGlobalFilters(new ProblemDetailsFilter(DOMAIN_ERROR_HTTP));
  app.enableShutdownHooks();
  if (config.app.docsEnabled) setupOpenApi(app);
  return app;
}

export function buildOpenApiDocument(app: NestExpressApplication): OpenAPIObject {
  const doc = new DocumentBuilder()
    .setTitle('Dashtam API')
    .setDescription('Accounts, brokerage connections over OAuth 2.0, and encrypted token storage.')
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  const document = SwaggerModule.createDocument(app, doc, {
    operationIdFactory: operationId,
    extraModels: [Problem],
  });
  return completeOpenApiDocument(document, app, PROBLEM_CODES);
}

function setupOpenApi(app: NestExpressApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs/openapi.json',
    useGlobalPrefix: false,
  });
}

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, messages: Object.values(e.constraints) }] : [];
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

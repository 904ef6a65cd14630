import { RequestMethod, ValidationError, ValidationPipe, VersioningType } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import { AppConfig, APP_CONFIG } from './config';
import { DOMAIN_ERROR_HTTP } from './app.errors';
import {
  FieldError,
  ProblemDetailsFilter,
  ValidationFailedException,
} from './common/http/problem-details.filter';
import { AppLogger } from './common/logging/app-logger';

/** Options for NestFactory.create / createNestApplication: body parsing is configured by configureApp. */
export const APP_OPTIONS = { bodyParser: false, bufferLogs: true } as const;

/** Paths served outside /api/v1: probes, API docs and the development sandbox brokerage. */
const UNPREFIXED = [
  { path: 'health{/*rest}', method: RequestMethod.ALL },
  { path: 'sandbox{/*rest}', method: RequestMethod.ALL },
];

/**
 * Everything a request meets, applied in one place. main.ts and the test app factory both call this,
 * so e2e specs exercise the production pipeline.
 */
export function configureApp(app: NestExpressApplication): NestExpressApplication {
  const config = app.get<AppConfig>(APP_CONFIG);
  app.useLogger(app.get(AppLogger));
  app.set('trust proxy', config.app.trustedProxies.length ? config.app.trustedProxies : false);
  app.disable('x-powered-by');
  app.use(
    helmet({
      // Swagger UI needs inline scripts and styles on /docs only; the API itself serves JSON.
      contentSecurityPolicy: {
        directives: {
          'script-src': ["'self'", "'unsafe-inline'"],
          'style-src': ["'self'", "'unsafe-inline'"],
        },
      },
    }),
  );
  app.useBodyParser('json', {
    limit: config.app.bodyLimitBytes,
    type: ['application/json', 'application/*+json'],
  });
  app.useBodyParser('urlencoded', { limit: config.app.bodyLimitBytes, extended: false });
  app.enableCors({
    origin: config.app.corsOrigins,
    credentials: true,
    exposedHeaders: ['X-Request-Id', 'Retry-After'],
  });
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
  return SwaggerModule.createDocument(app, doc);
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

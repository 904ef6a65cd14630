import 'reflect-metadata';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { loadConfig } from './config/config';
import { ConfigError } from './config/env';
import { loadEnvFile } from './config/env-file';
import { assertDataDirFree, EmbeddedDatabaseLockedError } from './database/embedded-postgres';

async function bootstrap(): Promise<void> {
  // Before Nest starts, so a bad variable is one clear line and exit code 1; Nest and the app are loaded
  // only once the configuration is valid (a second of module loading a mistake need not wait for).
  let config;
  try {
    loadEnvFile();
    config = loadConfig();
    if (!config.database.url) assertDataDirFree(config.database.pgliteDir);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof EmbeddedDatabaseLockedError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const [{ Logger }, { NestFactory }, { AppModule }, { APP_OPTIONS, configureApp }] =
    await Promise.all([
      import('@nestjs/common'),
      import('@nestjs/core'),
      import('./app.module.js'),
      import('./app.setup.js'),
    ]);
  const app = await NestFactory.create<NestExpressApplication>(AppModule, APP_OPTIONS);
  configureApp(app);
  await app.listen(config.app.port, config.app.host);
  new Logger('Bootstrap').log(`Listening on http://${config.app.host}:${config.app.port}`);
}

void bootstrap();

import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { APP_OPTIONS, configureApp } from './app.setup';
import { ConfigError, loadConfig, loadEnvFile } from './config';
import { assertDataDirFree, EmbeddedDatabaseLockedError } from './database/embedded-postgres';

async function bootstrap(): Promise<void> {
  // Before Nest starts, so a bad variable is one clear line and exit code 1.
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
  const app = await NestFactory.create<NestExpressApplication>(AppModule, APP_OPTIONS);
  configureApp(app);
  await app.listen(config.app.port, config.app.host);
  new Logger('Bootstrap').log(`Listening on http://${config.app.host}:${config.app.port}`);
}

void bootstrap();

import { Global, Inject, Module } from '@nestjs/common';
import { loadConfig } from './config';

/** Injection token for the typed configuration object. Use `@InjectConfig() config: AppConfig`. */
export const APP_CONFIG = Symbol('APP_CONFIG');
export const InjectConfig = () => Inject(APP_CONFIG);

/**
 * `loadConfig` validates and types the environment; the rest of the app only ever sees the typed `AppConfig`.
 * It runs when the container is built, not at import: the entry points load `.env` first (loadEnvFile), so
 * every process and every module sees the same values.
 */
@Global()
@Module({
  providers: [{ provide: APP_CONFIG, useFactory: () => loadConfig() }],
  exports: [APP_CONFIG],
})
export class ConfigModule {}

import { Global, Inject, Module } from '@nestjs/common';
import { ConfigModule as NestConfigModule, ConfigService } from '@nestjs/config';
import { AppConfig, loadConfig } from './config';

/** Injection token for the typed configuration object. Use `@InjectConfig() config: AppConfig`. */
export const APP_CONFIG = Symbol('APP_CONFIG');
export const InjectConfig = () => Inject(APP_CONFIG);

/**
 * @nestjs/config reads .env (when present) and hands the merged variables to `loadConfig`, which validates
 * and types them; the rest of the app only ever sees the typed `AppConfig`.
 */
@Global()
@Module({
  imports: [
    NestConfigModule.forRoot({
      cache: true,
      validate: (vars) => ({ typed: loadConfig(vars as Record<string, string | undefined>) }),
    }),
  ],
  providers: [
    {
      provide: APP_CONFIG,
      inject: [ConfigService],
      useFactory: (config: ConfigService) => config.get<AppConfig>('typed', { infer: true }),
    },
  ],
  exports: [APP_CONFIG],
})
export class ConfigModule {}

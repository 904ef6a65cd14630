import { Global, Inject, Module } from '@nestjs/common';
import { loadConfig } from './config';

export const APP_CONFIG = Symbol('APP_CONFIG');
export const InjectConfig = () => Inject(APP_CONFIG);

// Loaded when the container is built, not at import: entry points load `.env` first.
@Global()
@Module({
  providers: [{ provide: APP_CONFIG, useFactory: () => loadConfig() }],
  exports: [APP_CONFIG],
})
export class ConfigModule {}

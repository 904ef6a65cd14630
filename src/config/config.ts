import { AppSettings, DatabaseSettings, parseAppSettings, parseDatabaseSettings } from './app.config';
import { Env } from './env';

/**
 * The whole typed configuration. Each feature owns a namespace parsed by its own `parseXSettings(env, app)`.
 * Add a namespace here (one line in the interface, one in `loadConfig`).
 */
export interface AppConfig {
  app: AppSettings;
  database: DatabaseSettings;
}

export function loadConfig(env: Env = process.env): AppConfig {
  const app = parseAppSettings(env);
  return {
    app,
    database: parseDatabaseSettings(env),
  };
}

import {
  AppSettings,
  DatabaseSettings,
  parseAppSettings,
  parseDatabaseSettings,
} from './app.config';
import { AuthSettings, parseAuthSettings } from './auth.config';
import { EncryptionSettings, parseEncryptionSettings } from './encryption.config';
import { Env } from './env';
import { MailSettings, parseMailSettings } from './mail.config';
import { parseProvidersSettings, ProvidersSettings } from './providers.config';
import { parseSyncSettings, SyncSettings } from './sync.config';

// Each feature owns a namespace parsed by its own `parseXSettings(env, app)`.
export interface AppConfig {
  app: AppSettings;
  auth: AuthSettings;
  database: DatabaseSettings;
  encryption: EncryptionSettings;
  mail: MailSettings;
  providers: ProvidersSettings;
  sync: SyncSettings;
}

export function loadConfig(env: Env = process.env): AppConfig {
  const app = parseAppSettings(env);
  return {
    app,
    auth: parseAuthSettings(env, app),
    database: parseDatabaseSettings(env),
    encryption: parseEncryptionSettings(env, app),
    mail: parseMailSettings(env, app),
    providers: parseProvidersSettings(env, app),
    sync: parseSyncSettings(env, app),
  };
}

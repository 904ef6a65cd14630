import type { AppSettings } from './app.config';
import { ConfigError, Env, optionalUrl, str } from './env';

export interface MailSettings {
  smtpUrl?: string;
  from: string;
}

export function parseMailSettings(env: Env, app: AppSettings): MailSettings {
  const smtpUrl = optionalUrl(env, 'SMTP_URL', ['smtp', 'smtps']);
  if (app.isProduction && !smtpUrl) {
    // Silently logging password-reset links instead of mailing them would be a production bug.
    throw new ConfigError('SMTP_URL', 'must be set in production (mail would only be logged)');
  }
  return { smtpUrl, from: str(env, 'MAIL_FROM', 'Dashtam <no-reply@dashtam.local>') };
}

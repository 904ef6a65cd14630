import type { AppSettings } from './app.config';
import { ConfigError, Env, optionalUrl, str } from './env';

export interface MailSettings {
  /** SMTP transport (`smtp://user:pass@host:587`, `smtps://…`). Unset: mail is logged instead of sent. */
  smtpUrl?: string;
  /** The From header of every message. */
  from: string;
}

export function parseMailSettings(env: Env, app: AppSettings): MailSettings {
  const smtpUrl = optionalUrl(env, 'SMTP_URL', ['smtp', 'smtps']);
  if (app.isProduction && !smtpUrl) {
    // A production deployment that silently logs password-reset links instead of mailing them is a bug.
    throw new ConfigError('SMTP_URL', 'must be set in production (mail would only be logged)');
  }
  return { smtpUrl, from: str(env, 'MAIL_FROM', 'Dashtam <no-reply@dashtam.local>') };
}

import { createHash } from 'node:crypto';
import type { AppSettings } from './app.config';
import { ConfigError, Env, secret } from './env';

export interface EncryptionSettings {
  keys: string[];
}

// Public, so what it encrypts is readable by anyone: refused in production anywhere in the list.
export const DEVELOPMENT_ENCRYPTION_KEY = 'ZGFzaHRhbS1kZXZlbG9wbWVudC1vbmx5LWtleSEhISE=';

const FERNET_KEY = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]=$/;

// Repeated from fernet.ts so config imports no feature module. Errors name a position, not a value.
export function parseEncryptionSettings(env: Env, app: AppSettings): EncryptionSettings {
  const value = secret(env, 'ENCRYPTION_KEYS', DEVELOPMENT_ENCRYPTION_KEY, app.isProduction);
  const keys = value.split(',').map((k) => k.trim());
  const seen = new Map<string, number>();
  keys.forEach((key, i) => {
    const position = `entry ${i + 1} of ${keys.length}`;
    if (!FERNET_KEY.test(key)) {
      throw new ConfigError(
        'ENCRYPTION_KEYS',
        `${position} is not a Fernet key (32 bytes as padded base64url, 44 characters)`,
      );
    }
    if (app.isProduction && key === DEVELOPMENT_ENCRYPTION_KEY) {
      throw new ConfigError(
        'ENCRYPTION_KEYS',
        `${position} is the development placeholder, refused in production`,
      );
    }
    const digest = createHash('sha256').update(Buffer.from(key, 'base64url')).digest('hex');
    const first = seen.get(digest);
    if (first !== undefined)
      throw new ConfigError('ENCRYPTION_KEYS', `${position} duplicates entry ${first + 1}`);
    seen.set(digest, i);
  });
  return { keys };
}

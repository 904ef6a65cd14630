import { createHash } from 'node:crypto';
import type { AppSettings } from './app.config';
import { ConfigError, Env, secret } from './env';

export interface EncryptionSettings {
  /** Fernet keys, primary (used to encrypt) first; the others only decrypt until rotation has moved off them. */
  keys: string[];
}

/**
 * Development-only Fernet key so a fresh clone starts; refused in production (anywhere in the list).
 * Anything encrypted with it is effectively public.
 */
export const DEVELOPMENT_ENCRYPTION_KEY = 'ZGFzaHRhbS1kZXZlbG9wbWVudC1vbmx5LWtleSEhISE=';

// 32 bytes as padded base64url: 43 characters, the last carrying 2 zero bits, then "=".
const FERNET_KEY = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]=$/;

/**
 * ENCRYPTION_KEYS: comma-separated Fernet keys. Errors name the position of a bad entry, never its value.
 * (The check is repeated here rather than imported so config stays free of feature-module imports.)
 */
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

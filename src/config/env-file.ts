import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { ConfigError, Env } from './env';

// Every entry point calls it first; the environment wins over the file, as with `node --env-file`.
export function loadEnvFile(path = '.env', env: Env = process.env): string | undefined {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(
      path,
      `could not be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  for (const [name, value] of Object.entries(parseEnv(text))) {
    if (env[name] === undefined) env[name] = value;
  }
  return file;
}

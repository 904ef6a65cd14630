import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { ConfigError, Env } from './env';

/**
 * The one `.env` loader. Every entry point (src/main.ts, src/cli.ts, src/database/migrate.ts) calls it first,
 * before anything reads configuration, so the server, the operator CLI and the migrations all see the same
 * variables. A variable already set in the environment wins over the file, as with dotenv and `node --env-file`.
 * Returns the file's path, or undefined when there is none.
 */
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

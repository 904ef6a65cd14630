import 'reflect-metadata';
import { loadConfig } from '../config/config';
import { ConfigError } from '../config/env';
import { loadEnvFile } from '../config/env-file';
import {
  assertDataDirFree,
  EmbeddedDatabaseLockedError,
  EmbeddedPostgres,
} from './embedded-postgres';
import { CliError, parseArgs } from './migrate-args';

// migration:status exits 1 when any is pending (TypeORM's migration:show exits 0). Without DATABASE_URL this
// uses the embedded PGlite: stop the app first, PGlite cannot share its data directory between processes.
// TypeORM loads only after the arguments and the configuration are valid, so a mistake is one line at once.

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);

  loadEnvFile();
  const config = loadConfig();
  if (!config.database.url) assertDataDirFree(config.database.pgliteDir);
  const { COMMANDS, openDataSource } = await import('./migration-commands.js');
  // Only the schema diff needs the entities, and they come with the whole application (app.entities.ts).
  if (args.command === 'generate') await import('../app.entities.js');
  let embedded: EmbeddedPostgres | undefined;
  let url = config.database.url;
  if (!url) {
    embedded = await EmbeddedPostgres.start(config.database.pgliteDir);
    url = embedded.url;
    console.log(
      `DATABASE_URL not set: using embedded PostgreSQL (PGlite) in ${config.database.pgliteDir}`,
    );
  }
  const dataSource = openDataSource(url, config.database.statementTimeoutMs);
  try {
    await dataSource.initialize();
    return await COMMANDS[args.command](dataSource, args);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await embedded?.stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (
      err instanceof CliError ||
      err instanceof ConfigError ||
      err instanceof EmbeddedDatabaseLockedError
    ) {
      process.stderr.write(`${err.message}\n`);
    } else {
      // Database errors: the message, not the stack (a URL with a password never reaches here: pg does not echo it).
      process.stderr.write(
        `migration failed: ${err instanceof Error ? err.message : String(err)}\n`,
      );
    }
    process.exit(1);
  },
);

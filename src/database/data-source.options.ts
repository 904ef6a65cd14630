import { join } from 'node:path';
import { DataSourceOptions } from 'typeorm';
import { registeredEntities } from './entity-registry';

/** Migrations live at the repository root; this glob works from src (scripts/register-ts.cjs, jest) and from dist. */
export const MIGRATIONS_GLOB = join(__dirname, '..', '..', 'migrations', '*.{ts,js}');

/**
 * The one place DataSource options are assembled: used by the app, the migration CLI and the tests. Entities are
 * those the loaded modules registered (DatabaseModule.forFeature); loading AppModule registers them all.
 */
export function buildDataSourceOptions(
  url: string,
  overrides: { poolSize?: number; statementTimeoutMs?: number; applicationName?: string } = {},
): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: registeredEntities(),
    migrations: [MIGRATIONS_GLOB],
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    poolSize: overrides.poolSize ?? 10,
    applicationName: overrides.applicationName ?? 'dashtam',
    extra: {
      statement_timeout: overrides.statementTimeoutMs || undefined,
    },
  };
}

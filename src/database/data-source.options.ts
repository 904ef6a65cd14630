import { join } from 'node:path';
import { DataSourceOptions } from 'typeorm';
import { registeredEntities } from './entity-registry';

// Works from src (scripts/register-ts.cjs, jest) and from dist.
export const MIGRATIONS_GLOB = join(__dirname, '..', '..', 'migrations', '*.{ts,js}');

// Entities are those the loaded modules registered; loading AppModule registers them all.
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
    // The schema is the migrations' (ids default to gen_random_uuid(), core PostgreSQL): no DDL on connect. TypeORM
    // would otherwise run CREATE EXTENSION "uuid-ossp" on every DataSource it opens (and the role would need CREATE).
    installExtensions: false,
    logging: false,
    poolSize: overrides.poolSize ?? 10,
    applicationName: overrides.applicationName ?? 'dashtam',
    extra: {
      statement_timeout: overrides.statementTimeoutMs || undefined,
    },
  };
}

import type { Client } from 'pg';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../src/database/data-source.options';
import { createDatabase, databaseExists, dropDatabase, ident } from './db-admin';
import { withDatabase } from './test-env';

/** Creates the template (migrated) unless one for the current migrations already exists. */
export async function ensureTemplate(
  client: Client,
  adminUrl: string,
  name: string,
): Promise<'reused' | 'created'> {
  if (await databaseExists(client, name)) return 'reused';
  const building = `${name}_building`;
  await dropDatabase(client, building);
  await createDatabase(client, building);
  const ds = new DataSource(
    buildDataSourceOptions(withDatabase(adminUrl, building), {
      poolSize: 1,
      applicationName: 'dashtam-test-admin',
    }),
  );
  await ds.initialize();
  try {
    await ds.runMigrations({ transaction: 'each' });
  } finally {
    await ds.destroy();
  }
  // Rename only once complete, so an interrupted build is never mistaken for a template.
  await client.query(`ALTER DATABASE ${ident(building)} RENAME TO ${ident(name)}`);
  return 'created';
}

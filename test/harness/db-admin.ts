import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';

const ROOT = join(__dirname, '..', '..');
/** Serialises template creation and cloning across concurrent test runs on the same server. */
const ADMIN_LOCK = 727_001;

export function migrationsHash(): string {
  const dir = join(ROOT, 'migrations');
  const hash = createHash('sha256');
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .sort()) {
    hash.update(file).update(readFileSync(join(dir, file)));
  }
  return hash.digest('hex').slice(0, 12);
}

export async function withAdmin<T>(
  adminUrl: string,
  fn: (client: Client) => Promise<T>,
): Promise<T> {
  const client = new Client({ connectionString: adminUrl, application_name: 'dashtam-test-admin' });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [ADMIN_LOCK]);
    return await fn(client);
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [ADMIN_LOCK]).catch(() => undefined);
    await client.end();
  }
}

export async function databaseExists(client: Client, name: string): Promise<boolean> {
  const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  return (rowCount ?? 0) > 0;
}

export const ident = (name: string) => {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`unsafe database name ${name}`);
  return `"${name}"`;
};

export async function createDatabase(
  client: Client,
  name: string,
  template?: string,
): Promise<void> {
  await client.query(
    `CREATE DATABASE ${ident(name)}${template ? ` TEMPLATE ${ident(template)}` : ''}`,
  );
}

export async function dropDatabase(client: Client, name: string): Promise<void> {
  await client.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
}

/** Row counts of every user table: the teardown compares worker databases with the template. */
export async function tableRowCounts(url: string): Promise<Record<string, number>> {
  const client = new Client({ connectionString: url, application_name: 'dashtam-test-admin' });
  await client.connect();
  try {
    const { rows } = await client.query<{ t: string }>(
      "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) AS t FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
    );
    const counts: Record<string, number> = {};
    for (const { t } of rows) {
      const r = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t}`);
      counts[t] = r.rows[0].n;
    }
    return counts;
  } finally {
    await client.end();
  }
}

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';

const ROOT = join(__dirname, '..', '..');
/**
 * Template creation is exclusive, across concurrent test runs on the same server; everything else (clones of
 * it, drops) shares the lock, so a run's workers clone their databases in parallel.
 */
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
  lock: 'shared' | 'exclusive' = 'shared',
): Promise<T> {
  const client = new Client({ connectionString: adminUrl, application_name: 'dashtam-test-admin' });
  await client.connect();
  const suffix = lock === 'shared' ? '_shared' : '';
  try {
    await client.query(`SELECT pg_advisory_lock${suffix}($1)`, [ADMIN_LOCK]);
    return await fn(client);
  } finally {
    await client
      .query(`SELECT pg_advisory_unlock${suffix}($1)`, [ADMIN_LOCK])
      .catch(() => undefined);
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

const USER_RELATIONS = `
  SELECT c.oid, n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'`;

/**
 * What makes two clones of the template equal for a test: schema (relations, columns, constraints, indexes,
 * triggers, functions, types, extensions, schemas), sequence positions, every table's row count and no prepared
 * transaction. A digest, so a database can be compared with one taken of a fresh clone.
 */
export async function databaseFingerprint(
  query: (sql: string) => Promise<Array<{ fingerprint: string }>>,
): Promise<string> {
  const rows = await query(`
    WITH rels AS (${USER_RELATIONS})
    SELECT md5(string_agg(x, E'\\n' ORDER BY x)) AS fingerprint FROM (
      SELECT format('rel %I.%I %s', nspname, relname, relkind) AS x FROM rels
      UNION ALL SELECT format('col %s %s %s %s %s', a.attrelid::regclass, a.attname,
          format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid))
        FROM pg_attribute a JOIN rels r ON r.oid = a.attrelid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attnum > 0 AND NOT a.attisdropped
      UNION ALL SELECT format('con %s %s %s', conrelid::regclass, conname, pg_get_constraintdef(c.oid))
        FROM pg_constraint c JOIN rels r ON r.oid = c.conrelid
      UNION ALL SELECT format('idx %s', pg_get_indexdef(i.indexrelid)) FROM pg_index i JOIN rels r ON r.oid = i.indrelid
      UNION ALL SELECT format('trg %s %s %s', tgrelid::regclass, tgname, tgenabled)
        FROM pg_trigger t JOIN rels r ON r.oid = t.tgrelid WHERE NOT tgisinternal
      UNION ALL SELECT format('fn %s %s', p.oid::regprocedure, md5(p.prosrc))
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
      UNION ALL SELECT format('enum %s %s %s', enumtypid::regtype, enumsortorder, enumlabel) FROM pg_enum
      UNION ALL SELECT format('ext %s %s', extname, extversion) FROM pg_extension
      UNION ALL SELECT format('ns %s', nspname) FROM pg_namespace
      UNION ALL SELECT format('seq %I.%I %s', schemaname, sequencename, last_value) FROM pg_sequences
      UNION ALL SELECT format('rows %I.%I %s', nspname, relname, (xpath('/row/n/text()',
          query_to_xml(format('SELECT count(*) AS n FROM %I.%I', nspname, relname), false, true, '')))[1])
        FROM rels WHERE relkind IN ('r', 'p')
      UNION ALL SELECT format('prepared %s', count(*)) FROM pg_prepared_xacts WHERE database = current_database()
    ) s`);
  return rows[0].fingerprint;
}

/**
 * Empties every table but TypeORM's migration log (the template's only rows), restarting their sequences, on a
 * database nobody else is connected to; true when it then matches `fingerprint` (else it has to be cloned again).
 */
export async function resetToTemplate(url: string, fingerprint: string): Promise<boolean> {
  const client = new Client({ connectionString: url, application_name: 'dashtam-test-admin' });
  await client.connect();
  try {
    const others = await client.query(
      'SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    if (others.rowCount) return false;
    // Only tables with rows: TRUNCATE gives each table new files, which is what a clone costs.
    const { rows } = await client.query<{ t: string }>(
      `SELECT t FROM (SELECT format('%I.%I', nspname, relname) AS t, query_to_xml(format(
         'SELECT 1 AS n FROM %I.%I LIMIT 1', nspname, relname), false, true, '')::text <> '' AS filled
       FROM (${USER_RELATIONS}) r WHERE relkind IN ('r', 'p') AND relname <> 'migrations') x WHERE filled`,
    );
    if (rows.length) {
      // Guard triggers (audit_events refuses TRUNCATE) are the app's rule, not the harness's: off for the reset.
      const tables = rows.map((r) => r.t);
      const emptied = await client
        .query(
          [
            'BEGIN',
            ...tables.map((t) => `ALTER TABLE ${t} DISABLE TRIGGER USER`),
            `TRUNCATE ${tables.join(', ')} RESTART IDENTITY CASCADE`,
            ...tables.map((t) => `ALTER TABLE ${t} ENABLE TRIGGER USER`),
            'COMMIT',
          ].join('; '),
        )
        .then(
          () => true,
          () => client.query('ROLLBACK').then(() => false),
        );
      if (!emptied) return false;
    }
    const now = await databaseFingerprint(async (sql) => (await client.query(sql)).rows);
    return now === fingerprint;
  } finally {
    await client.end();
  }
}

/** Session state a ROLLBACK TO leaves behind: what DISCARD ALL clears, minus what needs a transaction boundary. */
export const SESSION_RESET =
  'CLOSE ALL; SELECT pg_advisory_unlock_all(); RESET ALL; DEALLOCATE ALL; UNLISTEN *; DISCARD SEQUENCES;';
/** The number of backends on this database (a fresh snapshot: the file is one transaction). */
export const BACKENDS =
  ' SELECT pg_stat_clear_snapshot(); SELECT numbackends AS n FROM pg_stat_database WHERE datname = current_database();';

export type Rows = Array<{ rows: Array<{ n: number }> }>;

/** The driver's client-side timeout (PGlite) reported as PostgreSQL reports its statement_timeout. */
export function asServerTimeout(err: Error): never {
  if (err.message !== 'Query read timeout') throw err;
  throw Object.assign(new Error('canceling statement due to statement timeout'), {
    code: '57014',
    severity: 'ERROR',
  });
}

/** A connection from another process (a worker, a second instance) on the test database, or undefined. */
export async function escapedBackends(
  raw: (sql: string) => Promise<unknown>,
  backends: number,
  ours: number,
  test: string,
): Promise<string | undefined> {
  if (backends <= ours) return undefined;
  // More backends than this file's connections: name the newcomers (older ones are earlier files closing).
  const { rows } = (await raw(
    `SELECT count(*)::int AS n, string_agg(DISTINCT application_name, ', ') AS apps FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
        AND application_name NOT IN ('dashtam-test', 'dashtam-test-admin')
        AND backend_start > (SELECT backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid())`,
  )) as { rows: Array<{ n: number; apps: string }> };
  if (rows[0].n === 0) return undefined;
  return (
    `${rows[0].n} other connection(s) to the test database appeared during "${test}" (application_name: ${rows[0].apps || '?'}): ` +
    'a DataSource, pg.Pool or worker escaped the harness; everything must go through the DatabaseModule seam'
  );
}

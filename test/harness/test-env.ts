/**
 * Where each test process finds its database. Global setup writes these variables; Jest workers inherit them.
 */
export const ENV = {
  server: 'DASHTAM_TEST_SERVER', // 'postgres' | 'pglite'
  adminUrl: 'DASHTAM_TEST_ADMIN_URL', // postgres: a URL on the server with rights to CREATE DATABASE
  template: 'DASHTAM_TEST_TEMPLATE', // postgres: the migrated template database
  runId: 'DASHTAM_TEST_RUN_ID',
  pgliteDump: 'DASHTAM_TEST_PGLITE_DUMP', // pglite: a data-dir tarball of the migrated template
  database: 'DASHTAM_TEST_DATABASE', // postgres, optional: this process's database instead of the worker's (child runs of self-tests)
} as const;

export type TestServer = 'postgres' | 'pglite';

export function testServer(): TestServer {
  const server = process.env[ENV.server];
  if (server !== 'postgres' && server !== 'pglite') {
    throw new Error(
      'The test database was not prepared: run tests through the package scripts (jest projects with global setup).',
    );
  }
  return server;
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export function workerDatabaseName(runId: string, workerId: string | number): string {
  return `dashtam_w_${runId}_${workerId}`;
}

/** The URL of this Jest worker's database (postgres mode), once it exists: the environment clones it meanwhile. */
export async function workerDatabase(): Promise<string> {
  await (globalThis as { __harness?: { workerDatabase?: Promise<void> } }).__harness
    ?.workerDatabase;
  return workerDatabaseUrl();
}

function workerDatabaseUrl(): string {
  const runId = process.env[ENV.runId]!;
  const name =
    process.env[ENV.database] || workerDatabaseName(runId, process.env.JEST_WORKER_ID ?? '1');
  return withDatabase(process.env[ENV.adminUrl]!, name);
}

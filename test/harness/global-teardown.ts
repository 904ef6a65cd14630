import { rmSync } from 'node:fs';
import { Client } from 'pg';
import { dropDatabase, tableRowCounts, withAdmin } from './db-admin';
import { state } from './global-setup';
import { closeIdle } from './pglite-pool';
import { ENV, withDatabase, workerDatabaseName } from './test-env';

/**
 * Zero leaks, asserted: every worker database holds exactly the template's rows, no connection of ours is
 * left on the server; then the run's databases are dropped. Runs once per Jest run.
 */
export default async function globalTeardown(): Promise<void> {
  const runId = process.env[ENV.runId];
  if (!runId || process.env.DASHTAM_TEST_TORN_DOWN) return;
  process.env.DASHTAM_TEST_TORN_DOWN = '1';
  try {
    if (process.env[ENV.server] === 'pglite') {
      // Every file's databases were checked against the template when it gave them back (pglite-pool.ts).
      await closeIdle(); // in-band runs: the pool lives in this process
      rmSync(process.env[ENV.pgliteDump]!, { force: true });
      return;
    }
    const adminUrl = process.env[ENV.adminUrl]!;
    const template = process.env[ENV.template]!;
    const problems: string[] = [];

    const lingering = await countOurConnections(adminUrl, runId);
    if (lingering.length)
      problems.push(`connections still open after the run: ${lingering.join(', ')}`);

    const expected = await tableRowCounts(withDatabase(adminUrl, template));
    for (const name of await workerDatabases(adminUrl, runId)) {
      const actual = await tableRowCounts(withDatabase(adminUrl, name));
      const diff = Object.keys({ ...expected, ...actual }).filter((t) => expected[t] !== actual[t]);
      if (diff.length) {
        problems.push(
          `${name} differs from the template in ${diff.map((t) => `${t} (${actual[t]} vs ${expected[t]})`).join(', ')}`,
        );
      }
    }

    await withAdmin(adminUrl, async (client) => {
      const { rows } = await client.query<{ datname: string }>(
        'SELECT datname FROM pg_database WHERE datname LIKE $1',
        [`dashtam\\_%\\_${runId}\\_%`],
      );
      for (const { datname } of rows) await dropDatabase(client, datname);
    });
    if (problems.length) {
      throw new Error(`[test harness] leaks detected:\n  ${problems.join('\n  ')}`);
    }
    process.stdout.write(
      '[test harness] teardown: worker databases match the template; no connections left.\n',
    );
  } finally {
    await state.container?.stop();
  }
}

/** The worker databases of this run (a worker that ran no database file cloned none). */
async function workerDatabases(adminUrl: string, runId: string): Promise<string[]> {
  return withAdmin(adminUrl, async (client) => {
    const { rows } = await client.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE datname ~ $1 ORDER BY 1',
      [`^${workerDatabaseName(runId, '')}[0-9]+$`],
    );
    return rows.map((r) => r.datname);
  });
}

async function countOurConnections(adminUrl: string, runId: string): Promise<string[]> {
  const client = new Client({ connectionString: adminUrl, application_name: 'dashtam-test-admin' });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string; application_name: string }>(
      'SELECT datname, application_name FROM pg_stat_activity WHERE datname LIKE $1 AND pid <> pg_backend_pid()',
      [`dashtam\\_%\\_${runId}\\_%`],
    );
    return rows.map((r) => `${r.application_name || '?'}@${r.datname}`);
  } finally {
    await client.end();
  }
}

import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../src/database/data-source.options';
import { EmbeddedPostgres } from '../../src/database/embedded-postgres';
import { dropDatabase, migrationsHash, withAdmin } from './db-admin';
import { ensureTemplate } from './template';
import { ENV } from './test-env';

/** Process-wide state shared with global-teardown (same process). */
export const state: { container?: { stop(): Promise<unknown> } } = {};

/**
 * Chooses the database (TEST_DATABASE_URL → Testcontainers → embedded PGlite) and migrates a template once
 * (skipped when the migrations are unchanged). Each Jest worker clones its own database from the template
 * when its first file starts (environment.ts), so the workers clone in parallel and a one-file run clones one.
 * Every database project lists this file; it runs its work once per Jest run.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env[ENV.runId]) return;
  const runId = `p${process.pid}_${randomBytes(2).toString('hex')}`;
  process.env[ENV.runId] = runId;

  let adminUrl = process.env.TEST_DATABASE_URL;
  let reason = 'TEST_DATABASE_URL is set';
  if (!adminUrl) {
    const container = await tryTestcontainers();
    if (container.url) {
      adminUrl = container.url;
      reason =
        'TEST_DATABASE_URL is not set and a Docker engine answered (Testcontainers postgres:17)';
    } else {
      reason = `TEST_DATABASE_URL is not set and Testcontainers cannot start (${container.why})`;
    }
  }

  if (!adminUrl) {
    process.env[ENV.server] = 'pglite';
    process.env[ENV.pgliteDump] = await buildPgliteTemplate(runId);
    log(
      `database: embedded PGlite — ${reason}. Each worker keeps in-memory copies of the migrated template, checked against it after every file; real-commit specs are skipped.`,
    );
    return;
  }

  process.env[ENV.server] = 'postgres';
  process.env[ENV.adminUrl] = adminUrl;
  const template = `dashtam_tpl_${migrationsHash()}`;
  process.env[ENV.template] = template;
  const started = Date.now();
  await withAdmin(
    adminUrl,
    async (client) => {
      await dropStaleRunDatabases(client);
      const outcome = await ensureTemplate(client, adminUrl, template);
      log(
        `database: PostgreSQL at ${redactUrl(adminUrl)} — ${reason}. Template ${template} ${outcome === 'reused' ? 'reused (migrations unchanged)' : `migrated in ${Date.now() - started} ms`}; ` +
          'each worker clones its database from it.',
      );
    },
    'exclusive',
  );
}

function log(line: string): void {
  process.stdout.write(`\n[test harness] ${line}\n`);
}

function redactUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/** Worker and real-commit databases left behind by runs whose process is gone (killed, crashed). */
async function dropStaleRunDatabases(client: import('pg').Client): Promise<void> {
  const { rows } = await client.query<{ datname: string }>(
    "SELECT datname FROM pg_database WHERE datname ~ '^dashtam_(w|rc)_p[0-9]+_'",
  );
  for (const { datname } of rows) {
    const pid = Number(/_p(\d+)_/.exec(datname)![1]);
    if (!isAlive(pid)) await dropDatabase(client, datname);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function tryTestcontainers(): Promise<{ url?: string; why?: string }> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await Promise.race([
      getContainerRuntimeClient(),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error('no answer within 5 s')), 5000).unref(),
      ),
    ]);
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:17-alpine').start();
    state.container = container;
    return { url: container.getConnectionUri() };
  } catch (err) {
    return { why: `no Docker engine: ${(err as Error).message.split('\n')[0]}` };
  }
}

async function buildPgliteTemplate(runId: string): Promise<string> {
  const embedded = await EmbeddedPostgres.start();
  try {
    const ds = new DataSource(buildDataSourceOptions(embedded.url, { poolSize: 1 }));
    await ds.initialize();
    await ds.runMigrations({ transaction: 'each' });
    await ds.destroy();
    const dump = await embedded.dump();
    const file = join(tmpdir(), `dashtam-pglite-template-${runId}.tar`);
    writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
    return file;
  } finally {
    await embedded.stop();
  }
}

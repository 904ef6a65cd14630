import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DataSource, Migration } from 'typeorm';
import { buildDataSourceOptions } from '../../src/database/data-source.options';
import { ENTITIES } from '../../src/app.entities';
import { createDatabase, dropDatabase, withAdmin } from '../harness/db-admin';
import { ENV, testServer, withDatabase } from '../harness/test-env';

/**
 * Migration gates (after pytest-alembic): on a throwaway database, never inside the rollback harness.
 * On the PGlite fallback the gates that need CREATE DATABASE or pg_dump are skipped with that reason.
 */
const ROOT = join(__dirname, '..', '..');
const onPostgres = testServer() === 'postgres';
const SKIP =
  'needs a PostgreSQL server (CREATE DATABASE and pg_dump); the PGlite fallback has neither';
const describePg = onPostgres ? describe : describe.skip;

describe('every entity is registered', () => {
  it('lists each @Entity class of src/modules in src/database/entities.ts', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (
          e.name.endsWith('.ts') &&
          !e.name.endsWith('.spec.ts') &&
          /@Entity\(/.test(readFileSync(p, 'utf8'))
        )
          files.push(p);
      }
    };
    walk(join(ROOT, 'src'));
    const declared = files.flatMap((f) =>
      [
        ...readFileSync(f, 'utf8').matchAll(
          /@Entity\([^)]*\)\s*(?:@\w+\([^)]*\)\s*)*export class (\w+)/g,
        ),
      ].map((m) => `${relative(ROOT, f)}:${m[1]}`),
    );
    const registered = new Set(ENTITIES.map((e) => e.name));
    expect(declared.filter((d) => !registered.has(d.split(':')[1]))).toEqual([]);
  });
});

describePg(`schema gates${onPostgres ? '' : ` [skipped: ${SKIP}]`}`, () => {
  const adminUrl = process.env[ENV.adminUrl]!;
  const name = `dashtam_mig_${process.env[ENV.runId]}`;
  const url = onPostgres ? withDatabase(adminUrl, name) : '';
  let ds: DataSource;

  const schemaDump = () =>
    execFileSync(
      'pg_dump',
      ['--schema-only', '--no-owner', '--no-privileges', '--exclude-table=migrations', url],
      { encoding: 'utf8' },
    )
      .split('\n')
      .filter((l) => !l.startsWith('--') && !/^\\(restrict|unrestrict)/.test(l))
      .join('\n');

  beforeAll(async () => {
    await withAdmin(adminUrl, async (c) => {
      await dropDatabase(c, name);
      await createDatabase(c, name);
    });
    ds = new DataSource(
      buildDataSourceOptions(url, { poolSize: 2, applicationName: 'dashtam-test-migrations' }),
    );
    await ds.initialize();
  });

  afterAll(async () => {
    await ds?.destroy();
    await withAdmin(adminUrl, (c) => dropDatabase(c, name));
  });

  let migrations: Migration[] = [];

  it('goes up from empty to head, and then nothing is pending', async () => {
    migrations = await ds.runMigrations({ transaction: 'each' });
    expect(migrations.length).toBe(ds.migrations.length);
    expect(await ds.showMigrations()).toBe(false);
  });

  it('has zero drift between entities and migrations', async () => {
    const sql = await ds.driver.createSchemaBuilder().log();
    expect(sql.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('full down then up yields an identical schema dump', async () => {
    const before = schemaDump();
    for (let i = 0; i < ds.migrations.length; i++)
      await ds.undoLastMigration({ transaction: 'each' });
    const tables = await ds.query(
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migrations'",
    );
    expect(tables).toEqual([]);
    await ds.runMigrations({ transaction: 'each' });
    expect(schemaDump()).toBe(before);
  });

  it('every migration passes up → down → up on its own', async () => {
    const classes = ds.migrations.map((m) => m.constructor as new () => unknown);
    for (let i = 0; i < classes.length; i++) await ds.undoLastMigration({ transaction: 'each' });
    for (let i = 0; i < classes.length; i++) {
      // A data source that knows migrations 0..i: "run" applies exactly migration i.
      const step = new DataSource({
        ...buildDataSourceOptions(url, { poolSize: 1 }),
        migrations: classes.slice(0, i + 1),
      });
      await step.initialize();
      try {
        expect(await step.runMigrations({ transaction: 'each' })).toHaveLength(1);
        await step.undoLastMigration({ transaction: 'each' });
        expect(await step.runMigrations({ transaction: 'each' })).toHaveLength(1);
      } finally {
        await step.destroy();
      }
    }
    expect(await ds.showMigrations()).toBe(false);
  });
});

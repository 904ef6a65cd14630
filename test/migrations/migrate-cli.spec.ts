import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createDatabase, dropDatabase, withAdmin } from '../harness/db-admin';
import { ENV, testServer, withDatabase } from '../harness/test-env';
import { freshPgliteDir, scratchDir } from '../support/pglite-dir';
import { Exit, ROOT, runTs } from '../support/run-ts';

/**
 * The migration command line (src/database/migrate.ts, run like the npm migration:* scripts) as a process, on a
 * fresh database: an empty throwaway database on the PostgreSQL server (DATABASE_URL, as in production), or on
 * the fallback an embedded PGlite directory (PGLITE_DIR; env-file.e2e and embedded-lock run it there as well).
 * The point of `status`: unlike TypeORM's migration:show it exits non-zero while anything is pending.
 */
const onPostgres = testServer() === 'postgres';
const MIGRATIONS = join(ROOT, 'migrations');

const migrate = (args: string[], env: Record<string, string>): Promise<Exit> =>
  runTs('src/database/migrate.ts', args, { NODE_ENV: 'test', ...env }, 90_000);

const migrationFiles = () =>
  readdirSync(MIGRATIONS)
    .filter((f) => /^\d{13}-\w+\.ts$/.test(f))
    .sort();
/** `1764100000000-Encryption.ts` → `Encryption1764100000000`, the class name TypeORM records. */
const classNameOf = (file: string) => {
  const [, ts, name] = /^(\d{13})-(\w+)\.ts$/.exec(file)!;
  return `${name}${ts}`;
};

describe(`migration CLI on a fresh ${onPostgres ? 'PostgreSQL' : 'embedded'} database`, () => {
  const adminUrl = process.env[ENV.adminUrl]!;
  const database = `dashtam_cli_${process.env[ENV.runId]}`;
  let dir: string;
  let env: Record<string, string>;
  const files = migrationFiles();
  const names = files.map(classNameOf);

  beforeAll(async () => {
    dir = scratchDir('dashtam-migrate-');
    if (onPostgres) {
      await withAdmin(adminUrl, async (c) => {
        await dropDatabase(c, database);
        await createDatabase(c, database);
      });
      env = { DATABASE_URL: withDatabase(adminUrl, database) };
    } else {
      await freshPgliteDir(join(dir, 'pglite'));
      env = { PGLITE_DIR: join(dir, 'pglite') };
    }
  });

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    if (onPostgres) await withAdmin(adminUrl, (c) => dropDatabase(c, database));
  });

  it('status on a fresh database lists everything pending and exits 1', async () => {
    const r = await migrate(['status'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    for (const name of names) expect(r.stdout).toContain(`[ ] ${name}`);
    expect(r.stdout).toContain(`0 applied, ${names.length} pending`);
  }, 120_000);

  it('run applies every migration in order, then status exits 0', async () => {
    const run = await migrate(['run'], env);
    expect(run.code).toBe(0);
    const applied = run.stdout.split('\n').filter((l) => l.startsWith('Applied '));
    expect(applied).toEqual(names.map((n) => `Applied ${n}`));

    const status = await migrate(['status'], env);
    expect(status.code).toBe(0);
    for (const name of names) expect(status.stdout).toContain(`[X] ${name}`);
    expect(status.stdout).toContain(`${names.length} applied, 0 pending`);
  }, 240_000);

  it('generate refuses to write an empty migration when entities match the schema', async () => {
    const r = await migrate(['generate', 'NothingToDo'], env);
    const written = migrationFiles().filter((f) => !files.includes(f));
    // Never leave a stray file in migrations/ (drift would make it generate one; the drift gate reports that).
    for (const f of written) rmSync(join(MIGRATIONS, f));
    expect(written).toEqual([]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'No changes between the entities and the database schema: nothing to generate\n',
    );
  }, 120_000);

  it('revert undoes the last migration, and status reports it pending again', async () => {
    const revert = await migrate(['revert'], env);
    expect(revert.code).toBe(0);
    expect(revert.stdout).toContain(`Reverted ${names[names.length - 1]}`);

    const status = await migrate(['status'], env);
    expect(status.code).toBe(1);
    expect(status.stdout).toContain(`[ ] ${names[names.length - 1]}`);
    expect(status.stdout).toContain(`${names.length - 1} applied, 1 pending`);
  }, 240_000);

  it('rejects bad input with one line and exit 1', async () => {
    const badConfig = await migrate(['status'], { ...env, DATABASE_URL: 'notaurl' });
    expect(badConfig.code).toBe(1);
    expect(badConfig.stderr).toBe('Invalid configuration: DATABASE_URL must be a valid URL\n');

    const badName = await migrate(['generate', 'not-a-name'], env);
    expect(badName.code).toBe(1);
    expect(badName.stderr).toMatch(/^generate needs a migration name in PascalCase[^\n]*\n$/);
  }, 120_000);
});

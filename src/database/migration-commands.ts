import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { DataSource, MigrationExecutor, MigrationInterface } from 'typeorm';
import { MigrationGenerateCommand } from 'typeorm/commands/MigrationGenerateCommand';
import { buildDataSourceOptions, MIGRATIONS_GLOB } from './data-source.options';
import { Args, CliError } from './migrate-args';

// What `src/database/migrate.ts` runs once its arguments and the configuration are valid.

const MIGRATIONS_DIR = dirname(MIGRATIONS_GLOB);

// TypeORM's own template, so generated files look exactly like `typeorm migration:generate` output.
class MigrationTemplate extends MigrationGenerateCommand {
  static render(name: string, timestamp: number, up: Query[], down: Query[]): string {
    const line = (q: Query) =>
      '        await queryRunner.query(`' +
      this.escapeTemplateLiteral(q.query) +
      '`' +
      this.queryParams(q.parameters) +
      ');';
    // Down queries come from the schema builder in apply order; undoing runs them backwards.
    return this.getTemplate(name, timestamp, up.map(line), down.map(line).reverse());
  }
}

interface Query {
  query: string;
  parameters?: unknown[];
}

function migrationName(m: MigrationInterface): string {
  return m.name ?? m.constructor.name;
}

function timestampOf(name: string): number {
  return Number(/(\d{13})$/.exec(name)?.[1] ?? 0);
}

async function run(dataSource: DataSource): Promise<number> {
  const applied = await dataSource.runMigrations({ transaction: 'each' });
  if (applied.length === 0) console.log('No pending migrations.');
  for (const m of applied) console.log(`Applied ${m.name}`);
  return 0;
}

async function revert(dataSource: DataSource): Promise<number> {
  const executed = await new MigrationExecutor(dataSource).getExecutedMigrations();
  if (executed.length === 0) {
    console.log('No applied migrations to revert.');
    return 0;
  }
  const last = [...executed].sort((a, b) => (b.id ?? 0) - (a.id ?? 0))[0];
  await dataSource.undoLastMigration({ transaction: 'each' });
  console.log(`Reverted ${last.name}`);
  return 0;
}

async function status(dataSource: DataSource): Promise<number> {
  // Read-only: unlike showMigrations() this does not create the migrations table.
  const executed = await new MigrationExecutor(dataSource).getExecutedMigrations();
  const appliedNames = new Set(executed.map((m) => m.name));
  const known = dataSource.migrations
    .map(migrationName)
    .sort((a, b) => timestampOf(a) - timestampOf(b));
  const pending = known.filter((n) => !appliedNames.has(n));
  for (const name of known) console.log(`${appliedNames.has(name) ? '[X]' : '[ ]'} ${name}`);
  // Applied in this database but without a file here (another branch, or a deleted file): worth seeing.
  for (const m of executed.filter((e) => !known.includes(e.name))) {
    console.log(`[?] ${m.name} (applied, no migration file)`);
  }
  console.log(`${known.length - pending.length} applied, ${pending.length} pending`);
  return pending.length > 0 ? 1 : 0;
}

async function generate(dataSource: DataSource, args: Args): Promise<number> {
  const name = args.name!; // checked by parseArgs
  const pending = await new MigrationExecutor(dataSource).getPendingMigrations();
  if (pending.length > 0) {
    // The diff is taken against the database: with migrations pending it would repeat them.
    throw new CliError(
      `${pending.length} migration(s) pending: run "npm run migration:run" before generating`,
    );
  }
  const sql = await dataSource.driver.createSchemaBuilder().log();
  if (sql.upQueries.length === 0) {
    throw new CliError(
      'No changes between the entities and the database schema: nothing to generate',
    );
  }
  const timestamp = args.timestamp ?? Date.now();
  const file = join(MIGRATIONS_DIR, `${timestamp}-${name}.ts`);
  if (existsSync(file)) throw new CliError(`${relative(process.cwd(), file)} already exists`);
  mkdirSync(MIGRATIONS_DIR, { recursive: true });
  writeFileSync(file, MigrationTemplate.render(name, timestamp, sql.upQueries, sql.downQueries));
  console.log(
    `Wrote ${relative(process.cwd(), file)} (${sql.upQueries.length} up, ${sql.downQueries.length} down queries)`,
  );
  return 0;
}

export const COMMANDS: Record<string, (ds: DataSource, a: Args) => Promise<number>> = {
  run,
  revert,
  status,
  generate,
};

export function openDataSource(url: string, statementTimeoutMs: number): DataSource {
  return new DataSource(
    buildDataSourceOptions(url, {
      poolSize: 1,
      statementTimeoutMs,
      applicationName: 'dashtam-migrate',
    }),
  );
}

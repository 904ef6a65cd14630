/**
 * The cost of isolation on the project's schema, in one run:
 *   per test       harness (a test with one statement, minus that statement's own mid-test cost; and an empty
 *                  test) against TRUNCATE of every table and CREATE DATABASE … TEMPLATE per test
 *   per statement  an autocommit statement through the harness (its savepoint) against the same statement on
 *                  a plain TypeORM query runner inside a transaction (no savepoint), and inside an app transaction
 * Usage: node -r ./scripts/register-ts.cjs bench/isolation.ts [harnessRuns=1000] [truncateRuns=100] [cloneRuns=30]
 * Needs PostgreSQL: TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test).
 */
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../src/database/data-source.options';
import { createDatabase, dropDatabase, migrationsHash, withAdmin } from '../test/harness/db-admin';
import { ensureTemplate } from '../test/harness/template';
import { IsolatedConnection } from '../test/harness/isolated-connection';
import { withDatabase } from '../test/harness/test-env';

const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const [harnessRuns, truncateRuns, cloneRuns] = [1000, 100, 30].map((d, i) =>
  Number(process.argv[2 + i] ?? d),
);

function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, median: at(0.5), p95: at(0.95), max: s[s.length - 1] };
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function main(): Promise<void> {
  const template = `dashtam_tpl_${migrationsHash()}`;
  const work = `dashtam_bench_iso_${process.pid}`;
  await withAdmin(adminUrl, async (c) => {
    await ensureTemplate(c, adminUrl, template);
    await dropDatabase(c, work);
    await createDatabase(c, work, template);
  });
  const url = withDatabase(adminUrl, work);
  try {
    const conn = await IsolatedConnection.open(url, { server: 'postgres' });
    const ds = conn.dataSource;
    await ds.query('CREATE TABLE bench_probe (id serial PRIMARY KEY, v text)');
    const probe = (runner: { query: typeof ds.query } = ds) =>
      runner.query('INSERT INTO bench_probe (v) VALUES ($1)', ['x']);
    const warm = 50;
    const harnessStatement: number[] = [];
    const inAppTransaction: number[] = [];
    await conn.beginTest('statements');
    for (let i = 0; i < harnessRuns + warm; i++) {
      const ms = await time(() => probe());
      if (i >= warm) harnessStatement.push(ms);
    }
    await ds.transaction(async (m) => {
      for (let i = 0; i < harnessRuns + warm; i++) {
        const ms = await time(() => probe(m));
        if (i >= warm) inAppTransaction.push(ms);
      }
    });
    await conn.endTest();
    const oneStatementTest: number[] = [];
    const emptyTest: number[] = [];
    for (let i = 0; i < harnessRuns + warm; i++) {
      const one = await time(async () => {
        await conn.beginTest(`t${i}`);
        await probe();
        await conn.endTest();
      });
      const empty = await time(async () => {
        await conn.beginTest(`e${i}`);
        await conn.endTest();
      });
      if (i >= warm) {
        oneStatementTest.push(one);
        emptyTest.push(empty);
      }
    }
    await conn.close();

    // The same statement without the harness: a plain TypeORM runner inside one transaction (no commit per row).
    const plainDs = new DataSource(buildDataSourceOptions(url, { poolSize: 1 }));
    await plainDs.initialize();
    const qr = plainDs.createQueryRunner();
    await qr.startTransaction();
    await qr.query('CREATE TABLE bench_probe (id serial PRIMARY KEY, v text)');
    const plainStatement: number[] = [];
    for (let i = 0; i < harnessRuns + warm; i++) {
      const ms = await time(() => probe(qr));
      if (i >= warm) plainStatement.push(ms);
    }
    await qr.rollbackTransaction();
    await qr.release();
    await plainDs.destroy();
    const harness = oneStatementTest.map((ms) => ms - stats(harnessStatement).median);

    const client = new Client({ connectionString: url });
    client.on('error', () => undefined);
    await client.connect();
    // audit_events refuses TRUNCATE through a trigger; a TRUNCATE-based reset would have to bypass it like this.
    await client.query("SET session_replication_role = 'replica'");
    const { rows } = await client.query<{ t: string }>(
      "SELECT string_agg(quote_ident(tablename), ', ') AS t FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migrations'",
    );
    const tables = rows[0].t;
    const tableCount = tables ? tables.split(',').length : 0;
    const truncate: number[] = [];
    for (let i = 0; i < truncateRuns; i++) {
      truncate.push(await time(() => client.query(`TRUNCATE ${tables} RESTART IDENTITY CASCADE`)));
    }
    await client.end();

    const clone: number[] = [];
    await withAdmin(adminUrl, async (c) => {
      for (let i = 0; i < cloneRuns; i++) {
        const name = `dashtam_bench_clone_${process.pid}`;
        clone.push(await time(() => createDatabase(c, name, template)));
        await dropDatabase(c, name);
      }
    });

    const h = stats(harness);
    const rowsOut = [
      ['harness: test with one statement, minus the statement', h],
      ['harness: empty test', stats(emptyTest)],
      ['TRUNCATE all tables', stats(truncate)],
      ['clone from template', stats(clone)],
    ] as const;
    console.log(
      `\nPer-test isolation cost, schema of ${tableCount} tables, PostgreSQL at ${new URL(adminUrl).host}`,
    );
    console.log('| strategy | runs | median ms | p95 ms | max ms | median vs harness |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const [name, s] of rowsOut) {
      console.log(
        `| ${name} | ${s.n} | ${s.median.toFixed(3)} | ${s.p95.toFixed(3)} | ${s.max.toFixed(2)} | ${(s.median / h.median).toFixed(1)}× |`,
      );
    }
    const plain = stats(plainStatement);
    const perStatement = [
      ['plain runner inside a transaction (no harness)', plain],
      ['harness: autocommit statement (own savepoint)', stats(harnessStatement)],
      ['harness: statement inside an app transaction', stats(inAppTransaction)],
    ] as const;
    console.log('\nPer-statement cost (INSERT of one row through TypeORM)');
    console.log('| path | runs | median ms | p95 ms | median overhead vs plain ms |');
    console.log('| --- | ---: | ---: | ---: | ---: |');
    for (const [name, s] of perStatement) {
      console.log(
        `| ${name} | ${s.n} | ${s.median.toFixed(3)} | ${s.p95.toFixed(3)} | ${(s.median - plain.median).toFixed(3)} |`,
      );
    }
  } finally {
    await withAdmin(adminUrl, (c) => dropDatabase(c, work));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

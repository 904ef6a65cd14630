/**
 * Per-test isolation cost on the project's schema, three strategies side by side in one run:
 *   harness   the savepoint harness: begin test (SAVEPOINT) + end test (checks, ROLLBACK TO, session reset)
 *   truncate  TRUNCATE every table of the schema after each test
 *   clone     CREATE DATABASE … TEMPLATE for each test (and DROP afterwards)
 * Usage: node -r ./scripts/register-ts.cjs bench/isolation.ts [harnessRuns=1000] [truncateRuns=100] [cloneRuns=30]
 * Needs PostgreSQL: TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test).
 */
import { Client } from 'pg';
import { createDatabase, dropDatabase, ensureTemplate, migrationsHash, withAdmin } from '../test/harness/db-admin';
import { IsolatedConnection } from '../test/harness/isolated-connection';
import { withDatabase } from '../test/harness/test-env';

const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const [harnessRuns, truncateRuns, cloneRuns] = [1000, 100, 30].map((d, i) => Number(process.argv[2 + i] ?? d));

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
    // harness: a probe write per test so the rollback has something to undo
    const conn = await IsolatedConnection.open(url, { server: 'postgres' });
    await conn.dataSource.query('CREATE TABLE bench_probe (id serial PRIMARY KEY, v text)');
    const harness: number[] = [];
    for (let i = 0; i < harnessRuns + 50; i++) {
      const ms = await time(async () => {
        await conn.beginTest(`t${i}`);
        await conn.endTest();
      });
      if (i >= 50) harness.push(ms); // warm-up excluded
    }
    await conn.close();

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
      ['harness (savepoint)', h],
      ['TRUNCATE all tables', stats(truncate)],
      ['clone from template', stats(clone)],
    ] as const;
    console.log(`\nPer-test isolation cost, schema of ${tableCount} tables, PostgreSQL at ${new URL(adminUrl).host}`);
    console.log('| strategy | runs | median ms | p95 ms | max ms | median vs harness |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const [name, s] of rowsOut) {
      console.log(`| ${name} | ${s.n} | ${s.median.toFixed(3)} | ${s.p95.toFixed(3)} | ${s.max.toFixed(2)} | ${(s.median / h.median).toFixed(1)}× |`);
    }
  } finally {
    await withAdmin(adminUrl, (c) => dropDatabase(c, work));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

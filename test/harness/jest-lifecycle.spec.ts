import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { runChildJest } from './child-jest';
import { createDatabase, dropDatabase, withAdmin } from './db-admin';
import { ENV, testServer, withDatabase } from './test-env';

/**
 * Issue 10, points 2, 4, 5, 6 and 14 (the trace of a failing test): behaviour that only exists in Jest's
 * lifecycle, checked by running the fixtures in test/harness/fixtures/ in ONE child Jest (a few seconds).
 * On PostgreSQL the child gets its own clone with a committed, empty `leak_probe` table, and this spec
 * checks afterwards that no row of the child's reached it for real.
 */
interface FileResult {
  name: string;
  failureMessage?: string;
  assertionResults: Array<{
    ancestorTitles: string[];
    title: string;
    status: string;
    failureMessages: string[];
  }>;
}

let files: FileResult[];
let committedRows: number | undefined;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dashtam-lifecycle-'));
  const env: NodeJS.ProcessEnv = { ...process.env };
  const adminUrl = process.env[ENV.adminUrl];
  const name = `dashtam_w_${process.env[ENV.runId]}_c${process.pid}`;
  if (testServer() === 'postgres') {
    await withAdmin(adminUrl!, async (c) => {
      await dropDatabase(c, name);
      await createDatabase(c, name, process.env[ENV.template]);
    });
    env[ENV.database] = name;
  }
  const url = adminUrl && withDatabase(adminUrl, name);
  const sql = async (text: string) => {
    const c = new Client({ connectionString: url, application_name: 'dashtam-test-admin' });
    await c.connect();
    try {
      return (await c.query(text)).rows;
    } finally {
      await c.end();
    }
  };
  try {
    if (url) await sql('CREATE TABLE leak_probe (id serial PRIMARY KEY, name text NOT NULL)');
    const out = join(dir, 'results.json');
    // The fixtures fail on purpose: the results file says how.
    await runChildJest(
      'harness',
      'test/harness/fixtures/*.fixture.ts',
      ['--json', `--outputFile=${out}`],
      env,
    );
    files = (JSON.parse(readFileSync(out, 'utf8')) as { testResults: FileResult[] }).testResults;
    if (url) committedRows = Number((await sql('SELECT count(*) AS n FROM leak_probe'))[0].n);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (adminUrl && url) await withAdmin(adminUrl, (c) => dropDatabase(c, name));
  }
}, 180_000);

const fixture = () => files.find((f) => f.name.endsWith('lifecycle.fixture.ts'))!;
const test = (f: FileResult, title: RegExp) =>
  f.assertionResults.find((a) => a.ancestorTitles[0] === 'leaks' && title.test(a.title))!;

it('5. hooks declared anywhere and sibling describe fixtures are rolled back with their scope; a late afterAll keeps its connection', () => {
  const hooks = fixture().assertionResults.filter((a) => a.ancestorTitles[0] !== 'leaks');
  const ran = hooks.filter((a) => a.status !== 'pending' && a.status !== 'todo');
  expect(ran.map((a) => [a.title, a.status, a.failureMessages.join('\n')])).toEqual(
    ran.map((a) => [a.title, 'passed', '']),
  );
  expect(ran).toHaveLength(4);
  expect(hooks).toHaveLength(6);
  // The top-level afterAll (declared after useTestModule) found its connection and nothing left behind.
  expect(fixture().failureMessage ?? '').not.toMatch(/afterAll|used outside a test/);
});

it('4. un-awaited work that runs during the next test is refused and charged to the test it came from', () => {
  const leaks = fixture();
  expect(test(leaks, /^A /).status).toBe('failed');
  expect(test(leaks, /^A /).failureMessages.join('\n')).toMatch(
    /query after the test's rollback: "INSERT INTO leak_probe[^"]*" from "leaks A leaves a write behind \(reported\)", which had already ended/,
  );
  expect(test(leaks, /^B /).status).toBe('passed');
});

it('2. work arriving after the last test of a file is refused and reported, never committed', () => {
  const last = test(fixture(), /^Z, /);
  expect(last.status).toBe('failed');
  expect(last.failureMessages.join('\n')).toMatch(
    /"INSERT INTO leak_probe[^"]*" from "leaks Z, the last test, leaves work for after the file \(reported\)"/,
  );
  if (testServer() === 'postgres') expect(committedRows).toBe(0);
});

it('6. test.concurrent fails loudly (Jest runs no per-test hooks for it) and writes nothing', () => {
  const leaks = fixture();
  for (const t of [test(leaks, /^C /), test(leaks, /^D /)]) {
    expect(t.status).toBe('failed');
    expect(t.failureMessages.join('\n')).toMatch(
      /test\.concurrent \("[CD] runs concurrently \(reported\)"\) is not supported/,
    );
  }
});

it('14. a failing test prints its last SQL statements with their savepoint depth', () => {
  const failed = test(fixture(), /^E /);
  expect(failed.status).toBe('failed');
  expect(failed.failureMessages.join('\n')).toMatch(
    /the last SQL statements of this test[^\n]*\n\s+#\d+ depth \d harness [^\n]*SAVEPOINT h_s\n\s+#\d+ depth \d app +SELECT 4242 AS marker/,
  );
});

import { DataSource } from 'typeorm';
import { AfterCommitDispatcher, Transactions } from '../../src/database/transactions';
import { StatementLog } from './statement-log';
import { openIsolated } from './test-app';
import { testServer } from './test-env';

/**
 * Issue 10, points 7, 10, 11, 12, 13, 14 and 15: what the per-test reset clears, what end-of-test checks
 * catch, timeouts on every server, and what the harness tells (and costs) per statement.
 */
let opened: Awaited<ReturnType<typeof openIsolated>>;
let ds: DataSource;

beforeAll(async () => {
  opened = await openIsolated({ waitTimeoutMs: 100 });
  ds = opened.conn.dataSource;
  await ds.query('CREATE TABLE sd_probe (id int PRIMARY KEY)');
  await ds.query('CREATE SEQUENCE sd_file_seq');
});
// A test that failed half-way leaves its hand-driven test open: end it, so the next one starts clean.
afterEach(() => opened.conn.endTest().catch(() => undefined));
afterAll(() => opened.stop());

const inTest = async (name: string, fn: () => Promise<unknown>) => {
  await opened.conn.beginTest(name);
  await fn();
  await opened.conn.endTest();
};

it('7. session-level PREPARE and sequence state do not survive into the next test', async () => {
  await inTest('prepares', async () => {
    await ds.query('PREPARE sd_stmt AS SELECT 1 AS one');
  });
  await inTest('prepares again', async () => {
    await expect(ds.query('PREPARE sd_stmt AS SELECT 2 AS two')).resolves.toBeDefined(); // 42P05 without DEALLOCATE ALL
    expect(await ds.query('EXECUTE sd_stmt')).toEqual([{ two: 2 }]);
  });
  await inTest('draws from a sequence', () => ds.query("SELECT nextval('sd_file_seq')"));
  await inTest('finds no lastval of the previous test', async () => {
    await expect(ds.query('SELECT lastval()')).rejects.toMatchObject({
      driverError: { code: '55000' },
    });
  });
});

it('10. a constraint trigger raising a non-23xxx error at the deferred check fails the test', async () => {
  await opened.conn.beginTest('trigger');
  await ds.query(
    `CREATE FUNCTION sd_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'sd refuses %', NEW.id; END $$`,
  );
  await ds.query(
    'CREATE CONSTRAINT TRIGGER sd_check AFTER INSERT ON sd_probe DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION sd_refuse()',
  );
  await ds.query('INSERT INTO sd_probe VALUES (7)'); // accepted now; the trigger fires at commit time
  await expect(opened.conn.endTest()).rejects.toThrow(
    /deferred constraint fails at commit time in "trigger" \(P0001.*sd refuses 7/,
  );
});

it('11. now() is the transaction start of the file (as docs/testing.md says): equal across tests, clock_timestamp() moves', async () => {
  const read = async () =>
    (await ds.query('SELECT now() AS now, clock_timestamp() AS clock'))[0] as {
      now: Date;
      clock: Date;
    };
  let first!: { now: Date; clock: Date };
  await inTest('reads the time', async () => (first = await read()));
  await inTest('reads it again', async () => {
    const second = await read();
    expect(second.now.getTime()).toBe(first.now.getTime());
    expect(second.clock.getTime()).toBeGreaterThan(first.now.getTime());
  });
});

it('12. a hang is cut short with the same message on every server (client-side on PGlite)', async () => {
  const short = await openIsolated({ statementTimeoutMs: 150 });
  try {
    await short.conn.beginTest('hangs');
    await expect(short.conn.dataSource.query('SELECT pg_sleep(1)')).rejects.toThrow(
      /canceling statement due to statement timeout/,
    );
    await expect(short.conn.dataSource.query('SELECT 1 AS ok')).resolves.toEqual([{ ok: 1 }]);
    await short.conn.endTest();
  } finally {
    await short.stop();
  }
});

it('13. a mutex timeout names the application call sites of the waiter and the holder, not Transactions.run', async () => {
  const tx = new Transactions(ds, new AfterCommitDispatcher());
  await opened.conn.beginTest('waits');
  const err = (await tx.run(() => tx.run(async () => undefined)).catch((e: Error) => e)) as Error;
  expect(err.message).toMatch(/waited 100 ms/);
  expect(err.message).toMatch(/waiting: .*session-and-diagnostics\.spec\.ts/);
  expect(err.message).toMatch(
    /holding: transaction started at .*session-and-diagnostics\.spec\.ts/,
  );
  expect(err.message).not.toMatch(/transactions\.ts/);
  await opened.conn.endTest();
});

describe('14. diagnostics', () => {
  it('keeps the last statements with their savepoint depth', async () => {
    const from = opened.conn.log.position;
    await inTest('traced', () => ds.transaction((m) => m.query('SELECT 41 AS x')));
    const trace = opened.conn.log.since(from);
    expect(trace).toMatch(/depth 0 harness SAVEPOINT h_t\d+; SAVEPOINT h_x\d+\n/);
    expect(trace).toMatch(/depth 2 app {5}SELECT 41 AS x\n/);
    expect(trace).toMatch(/depth 2 harness RELEASE SAVEPOINT h_x\d+\n/);
    expect(trace).toMatch(
      /depth 1 harness SET CONSTRAINTS ALL IMMEDIATE; ROLLBACK TO SAVEPOINT h_t/,
    );
  });

  it('HARNESS_DEBUG=1 logs every statement; the per-file summary compares isolation and test time', () => {
    const before = process.env.HARNESS_DEBUG;
    process.env.HARNESS_DEBUG = '1';
    const log = new StatementLog();
    process.env.HARNESS_DEBUG = before;
    const lines: string[] = [];
    const spy = jest
      .spyOn(process.stderr, 'write')
      .mockImplementation((chunk) => lines.push(String(chunk)) > 0);
    try {
      log.app('SELECT 1', 2);
      log.harness('SAVEPOINT h_s', 1, 0.25);
    } finally {
      spy.mockRestore();
    }
    expect(lines).toEqual([
      '[harness sql] #1 depth 2 app SELECT 1\n',
      '[harness sql] #2 depth 1 harness SAVEPOINT h_s\n',
    ]);
    expect(log.timing).toBe(true);
    expect(log.summary('x.spec.ts', 12)).toBe(
      '[test harness] x.spec.ts: isolation 0.3 ms in 1 harness round trip(s) for 1 app statement(s); tests 12.0 ms',
    );
  });
});

it('15. an autocommit statement costs one harness round trip; a test one more (an empty one only the escape check)', async () => {
  const log = opened.conn.log;
  let at = log.harnessStatements;
  await inTest('empty', async () => undefined);
  expect(log.harnessStatements - at).toBe(testServer() === 'postgres' ? 1 : 0);
  at = log.harnessStatements;
  await inTest('ten statements', async () => {
    for (let i = 0; i < 10; i++) await ds.query('SELECT $1::int AS i', [i]);
  });
  expect(log.harnessStatements - at).toBe(10 + 1);
  at = log.harnessStatements;
  await inTest('a transaction', () => ds.transaction(async (m) => m.query('SELECT 1')));
  expect(log.harnessStatements - at).toBe(2 + 1); // SAVEPOINT and RELEASE, like BEGIN and COMMIT in production
});

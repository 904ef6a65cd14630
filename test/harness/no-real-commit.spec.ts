import { Client, Query } from 'pg';
import { DataSource, QueryFailedError } from 'typeorm';
import { buildDataSourceOptions } from '../../src/database/data-source.options';
import { queryRows } from '../../src/database/query-result';
import { unwatched } from './foreign-connections';
import { openIsolated } from './test-app';
import { testServer } from './index';

/**
 * Issue 10, points 1, 3, 8 and 9: no way around the test's transaction, and no caller's error in another's
 * transaction. Drives one isolated connection by hand (beginTest/endTest), so each case can end its test and
 * look at what the harness reports. On PostgreSQL an observer outside the harness checks that nothing committed.
 */
let opened: Awaited<ReturnType<typeof openIsolated>>;
let ds: DataSource;
const url = () => (ds.options as { url: string }).url;
const names = async () =>
  (await ds.query('SELECT name FROM fid_probe ORDER BY name')).map((r: { name: string }) => r.name);
const insert = (name: string, runner: { query: DataSource['query'] } = ds) =>
  runner.query('INSERT INTO fid_probe (name) VALUES ($1)', [name]);

/** What another session sees: only committed data. PGlite serves one session, so there is nothing to observe. */
async function committedProbeTable(): Promise<string | null> {
  if (testServer() !== 'postgres') return null;
  const observer = new Client({ connectionString: url(), application_name: 'dashtam-test-admin' });
  await unwatched(() => observer.connect());
  try {
    return (await observer.query("SELECT to_regclass('fid_probe')::text AS t")).rows[0].t;
  } finally {
    await observer.end();
  }
}

beforeAll(async () => {
  opened = await openIsolated({ waitTimeoutMs: 300 });
  ds = opened.conn.dataSource;
  await ds.query('CREATE TABLE fid_probe (id serial PRIMARY KEY, name text NOT NULL UNIQUE)');
});
// A test that failed half-way leaves its hand-driven test open: end it, so the next one starts clean.
afterEach(() => opened.conn.endTest().catch(() => undefined));
afterAll(() => opened.stop());

describe('1. transaction control sent as SQL text', () => {
  it.each([
    'COMMIT',
    'END',
    'ROLLBACK',
    'ABORT',
    'SAVEPOINT mine',
    'RELEASE SAVEPOINT typeorm_1',
    'BEGIN; INSERT INTO fid_probe (name) VALUES (1); COMMIT',
  ])('%s outside an app transaction is refused, named, and fails the test', async (sql) => {
    await opened.conn.beginTest(sql);
    await insert('before');
    await expect(ds.query(sql)).rejects.toThrow(
      `transaction control sent as SQL text: "${sql.slice(0, 5)}`,
    );
    expect(await names()).toEqual(['before']);
    await expect(opened.conn.endTest()).rejects.toThrow(/transaction control sent as SQL text/);
    expect(await committedProbeTable()).toBeNull();
  });

  it('on an app runner, BEGIN / START TRANSACTION … COMMIT / ROLLBACK / END and savepoints by hand are translated', async () => {
    await opened.conn.beginTest('translated');
    const qr = ds.createQueryRunner();
    await qr.query('START TRANSACTION');
    expect(qr.isTransactionActive).toBe(true);
    await insert('rolled back', qr);
    await qr.query('ROLLBACK');
    await qr.query('BEGIN ISOLATION LEVEL READ COMMITTED');
    await insert('kept', qr);
    await qr.query('SAVEPOINT mine');
    await insert('undone', qr);
    await qr.query('ROLLBACK TO SAVEPOINT mine');
    await qr.query('RELEASE SAVEPOINT mine');
    await qr.query('COMMIT');
    await qr.query('BEGIN');
    await insert('also kept', qr);
    await qr.query('END');
    await qr.release();
    expect(qr.isTransactionActive).toBe(false);
    await expect(qr.query('BEGIN ISOLATION LEVEL SERIALIZABLE')).rejects.toThrow(
      /SERIALIZABLE cannot be honoured/,
    );
    expect(await names()).toEqual(['also kept', 'kept']);
    await opened.conn.endTest();
    expect(await committedProbeTable()).toBeNull();
  });
});

describe('3. a pool or client opened mid-test on the test database', () => {
  it('is refused at connect, and the test that did it fails', async () => {
    await opened.conn.beginTest('escape');
    const client = new Client({ connectionString: url(), application_name: 'short-lived' });
    await expect(client.connect()).rejects.toThrow(
      /second connection to the test database was opened \(application_name: short-lived\)/,
    );
    const second = new DataSource(buildDataSourceOptions(url(), { poolSize: 1 }));
    await expect(second.initialize()).rejects.toThrow(/second connection to the test database/);
    await expect(opened.conn.endTest()).rejects.toThrow(
      /application_name: short-lived[\s\S]*application_name: dashtam/,
    );
  });
});

describe('8. an autocommit statement while another app transaction holds the connection', () => {
  it('from another caller: queues behind it, commits on its own, and its error never aborts the holder', async () => {
    await opened.conn.beginTest('two requests');
    let started!: () => void;
    let go!: () => void;
    const holderStarted = new Promise<void>((r) => (started = r));
    const gate = new Promise<void>((r) => (go = r));
    const holder = ds.transaction(async (m) => {
      await insert('holder-1', m);
      started();
      await gate;
      await insert('holder-2', m); // 25P02 if the other request's 23505 had landed in this transaction
      throw new Error('holder rolls back');
    });
    await holderStarted;
    const other = (async () => {
      await insert('other');
      return insert('other').catch((e: { driverError?: { code?: string } }) => e.driverError?.code);
    })();
    go();
    await expect(holder).rejects.toThrow('holder rolls back');
    expect(await other).toBe('23505');
    expect(await names()).toEqual(['other']); // production committed it; the holder's rollback must not take it
    await opened.conn.endTest();
  });

  it("from the holder's own callback: runs nested (no deadlock), and a caught error leaves the transaction usable", async () => {
    await opened.conn.beginTest('own callback');
    await insert('taken');
    await ds.transaction(async (m) => {
      const code = await insert('taken').catch(
        (e: { driverError?: { code?: string } }) => e.driverError?.code,
      );
      expect(code).toBe('23505');
      await insert('inside', m);
    });
    expect(await names()).toEqual(['inside', 'taken']);
    await opened.conn.endTest();
  });
});

describe('9. paths around the per-statement savepoint', () => {
  it('QueryRunner helpers the harness does not wrap (createDatabase → 25001) do not poison the test', async () => {
    await opened.conn.beginTest('helper');
    const qr = ds.createQueryRunner();
    await expect(qr.createDatabase('fid_never_created', true)).rejects.toMatchObject({
      driverError: { code: '25001' },
    });
    await expect(qr.hasTable('fid_probe')).resolves.toBe(true);
    expect(await ds.query('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
    await opened.conn.endTest();
  });

  it('the raw driver client from connect(): errors do not poison, control text is refused, submittables queue', async () => {
    await opened.conn.beginTest('raw client');
    const qr = ds.createQueryRunner();
    const client = (await qr.connect()) as Client;
    await expect(client.query('SELECT $1::uuid', ['not-a-uuid'])).rejects.toMatchObject({
      code: '22P02',
    });
    expect((await client.query('SELECT 2 AS ok')).rows).toEqual([{ ok: 2 }]);
    const rows: unknown[] = [];
    const streamed = client.query(new Query('SELECT generate_series(1, 3) AS n'));
    streamed.on('row', (row: unknown) => rows.push(row));
    await new Promise((resolve, reject) => streamed.on('end', resolve).on('error', reject));
    expect(rows).toHaveLength(3);
    const failing = client.query(new Query('SELECT 1/0'));
    await expect(
      new Promise((resolve, reject) => failing.on('end', resolve).on('error', reject)),
    ).rejects.toMatchObject({ code: '22012' });
    expect((await client.query('SELECT 3 AS ok')).rows).toEqual([{ ok: 3 }]);
    await expect(client.query('COMMIT')).rejects.toThrow(
      /transaction control sent as SQL text: "COMMIT"/,
    );
    await expect(opened.conn.endTest()).rejects.toThrow(/"COMMIT"/);
    expect(await committedProbeTable()).toBeNull();
  });

  it("queryRows outside a transaction (the driver pool's query) takes the same path: logged, own savepoint, refused late", async () => {
    const { conn } = opened;
    await conn.beginTest('pool reads');
    await insert('seen');
    const from = conn.log.position;
    expect(await queryRows(ds.manager, 'SELECT name FROM fid_probe', [])).toEqual([
      { name: 'seen' },
    ]);
    expect(conn.log.since(from)).toMatch(
      /harness .*SAVEPOINT h_s\n.* app +SELECT name FROM fid_probe$/,
    );
    const bad = await queryRows(ds.manager, 'SELECT $1::uuid', ['x']).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(QueryFailedError);
    expect(bad).toMatchObject({ driverError: { code: '22P02' } });
    expect(await queryRows(ds.manager, 'SELECT 1 AS ok', [])).toEqual([{ ok: 1 }]);
    await expect(queryRows(ds.manager, 'COMMIT', [])).rejects.toThrow(
      /transaction control sent as SQL text: "COMMIT"/,
    );
    await expect(conn.endTest()).rejects.toThrow(/"COMMIT"/);
    await expect(queryRows(ds.manager, 'SELECT 2 AS late', [])).rejects.toThrow(
      /query after the test's rollback: "SELECT 2 AS late" after "pool reads" ended/,
    );
    await expect(conn.beginTest('next')).rejects.toThrow(
      /queries arrived after their test had ended/,
    );
    expect(await committedProbeTable()).toBeNull();
  });

  it("queryRows inside a transaction stays on the transaction's runner", async () => {
    const { conn } = opened;
    await conn.beginTest('tx reads');
    const from = conn.log.position;
    await ds.transaction(async (m) => {
      await insert('in tx', m);
      expect(await queryRows(m, 'SELECT name FROM fid_probe', [])).toEqual([{ name: 'in tx' }]);
    });
    const log = conn.log.since(from);
    expect(log).toMatch(/app +SELECT name FROM fid_probe/);
    expect(log).not.toMatch(/SAVEPOINT h_s/);
    await conn.endTest();
  });
});

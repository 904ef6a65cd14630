import { Client } from 'pg';
import { unwatched } from './foreign-connections';
import { openIsolated } from './test-app';
import { HarnessError, testServer } from './index';
import { workerDatabase } from './test-env';

/**
 * Failures the harness must make loud. These drive an IsolatedConnection by hand (no Jest hooks), so each
 * case can end a test and observe what the harness reports.
 */
describe('loud failures at the end of a test', () => {
  let opened: Awaited<ReturnType<typeof openIsolated>>;

  beforeEach(async () => {
    opened = await openIsolated(200);
  });

  afterEach(async () => {
    await opened.stop().catch(() => undefined);
  });

  it('a query that arrives after the rollback fails, and the next test start reports it', async () => {
    const { conn } = opened;
    await conn.beginTest('first');
    await conn.endTest();
    await expect(conn.dataSource.query('SELECT 1')).rejects.toThrow(
      /query after the test's rollback: "SELECT 1" after "first" ended/,
    );
    await expect(conn.beginTest('second')).rejects.toThrow(
      /queries arrived after their test had ended/,
    );
  });

  it('un-awaited app work still holding the connection when the test ends is reported', async () => {
    const { conn } = opened;
    await conn.beginTest('leaky');
    const qr = conn.dataSource.createQueryRunner();
    await qr.startTransaction(); // never committed: holds the connection
    await expect(conn.endTest()).rejects.toThrow(/app work was still running when "leaky" ended/);
  });

  it('two tests at once on one connection (test.concurrent) are refused', async () => {
    const { conn } = opened;
    await conn.beginTest('a');
    await expect(conn.beginTest('b')).rejects.toThrow(HarnessError);
    await conn.endTest();
  });

  it('a deferred constraint that would fail at COMMIT fails the test', async () => {
    const { conn } = opened;
    const ds = conn.dataSource;
    await ds.query('CREATE TABLE harness_parent (id int PRIMARY KEY)');
    await ds.query(
      'CREATE TABLE harness_child (parent_id int REFERENCES harness_parent (id) DEFERRABLE INITIALLY DEFERRED)',
    );
    await conn.beginTest('deferred');
    await ds.query('INSERT INTO harness_child VALUES (42)'); // accepted now, checked only at commit
    await expect(conn.endTest()).rejects.toThrow(/deferred constraint fails at commit time/);
  });

  (testServer() === 'postgres' ? it : it.skip)(
    'a connection that escapes the harness is detected (postgres only: PGlite has no pg_stat_activity of its own)',
    async () => {
      const { conn } = opened;
      await conn.beginTest('escape');
      const rogue = new Client({
        connectionString: await workerDatabase(),
        application_name: 'rogue-pool',
      });
      // Stands in for another process (a queue worker): in this process the connect itself is refused, see fidelity.spec.ts.
      await unwatched(() => rogue.connect());
      try {
        await expect(conn.endTest()).rejects.toThrow(
          /1 other connection\(s\) .* \(application_name: rogue-pool\)/,
        );
      } finally {
        await rogue.end();
      }
    },
  );
});

import { DataSource, QueryFailedError } from 'typeorm';
import { describeRealCommit } from './index';

/**
 * Real-commit mode: a database equal to a fresh clone of the template, with real pools and real commits, for behaviour that only
 * exists between two sessions. These are the shipped examples test authors copy.
 */
describeRealCommit('real-commit mode', (db) => {
  let a: DataSource;
  let b: DataSource;

  beforeAll(async () => {
    a = db.dataSource;
    b = await db.newDataSource(5);
    await a.query('CREATE TABLE rc_jobs (id serial PRIMARY KEY, claimed_by text)');
    await a.query('CREATE TABLE rc_users (email text PRIMARY KEY)');
    await a.query('CREATE TABLE rc_counter (id int PRIMARY KEY, n int NOT NULL)');
    await a.query('INSERT INTO rc_jobs (claimed_by) SELECT NULL FROM generate_series(1, 10)');
    await a.query('INSERT INTO rc_counter VALUES (1, 0)');
  });

  it('two sessions racing SELECT … FOR UPDATE SKIP LOCKED never claim the same row', async () => {
    const claim = (ds: DataSource, who: string, hold: Promise<void>, claimed: () => void) =>
      ds.transaction(async (m) => {
        const rows: Array<{ id: number }> = await m.query(
          'SELECT id FROM rc_jobs WHERE claimed_by IS NULL ORDER BY id LIMIT 5 FOR UPDATE SKIP LOCKED',
        );
        claimed();
        await hold; // keep the row locks while the other session claims
        await m.query('UPDATE rc_jobs SET claimed_by = $1 WHERE id = ANY($2)', [
          who,
          rows.map((r) => r.id),
        ]);
        return rows.map((r) => r.id);
      });
    let releaseA!: () => void;
    let aClaimed!: () => void;
    const aHasClaimed = new Promise<void>((resolve) => (aClaimed = resolve));
    const first = claim(a, 'a', new Promise<void>((resolve) => (releaseA = resolve)), aClaimed);
    await aHasClaimed;
    const ofB = await claim(b, 'b', Promise.resolve(), () => undefined);
    releaseA();
    const ofA = await first;
    expect(ofA.filter((id) => ofB.includes(id))).toEqual([]);
    expect([...ofA, ...ofB].sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('a unique-violation race has exactly one winner', async () => {
    const results = await Promise.allSettled(
      [a, b, a, b].map((ds) =>
        ds.query('INSERT INTO rc_users (email) VALUES ($1)', ['race@example.com']),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((x): x is PromiseRejectedResult => x.status === 'rejected')) {
      expect(r.reason).toBeInstanceOf(QueryFailedError);
      expect((r.reason as { driverError: { code: string } }).driverError.code).toBe('23505');
    }
  });

  it('an advisory transaction lock excludes the other session', async () => {
    const events: string[] = [];
    let releaseA!: () => void;
    const aHolds = new Promise<void>((resolve) => (releaseA = resolve));
    const first = a.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock(777)');
      events.push('a locked');
      await aHolds;
      events.push('a done');
    });
    while (!events.includes('a locked')) await new Promise((r) => setImmediate(r));
    const tried = await b.query('SELECT pg_try_advisory_xact_lock(777) AS got');
    expect(tried[0].got).toBe(false);
    const second = b.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock(777)');
      events.push('b locked');
    });
    releaseA();
    await Promise.all([first, second]);
    expect(events).toEqual(['a locked', 'a done', 'b locked']);
  });

  it('SERIALIZABLE conflicts raise 40001 and a retry succeeds', async () => {
    // Both first attempts read before either writes: a guaranteed serialization failure for one of them.
    let reads = 0;
    let bothRead!: () => void;
    const gate = new Promise<void>((resolve) => (bothRead = resolve));
    const attempts = { n: 0, conflicts: 0 };
    async function increment(ds: DataSource): Promise<void> {
      for (let attempt = 1; ; attempt++) {
        attempts.n += 1;
        try {
          await ds.transaction('SERIALIZABLE', async (m) => {
            const [{ n }] = await m.query('SELECT n FROM rc_counter WHERE id = 1');
            if (attempt === 1) {
              if (++reads === 2) bothRead();
              await gate;
            }
            await m.query('UPDATE rc_counter SET n = $1 WHERE id = 1', [n + 1]);
          });
          return;
        } catch (err) {
          if ((err as { driverError?: { code?: string } }).driverError?.code !== '40001') throw err;
          attempts.conflicts += 1;
        }
      }
    }
    await Promise.all([increment(a), increment(b)]);
    expect((await a.query('SELECT n FROM rc_counter WHERE id = 1'))[0].n).toBe(2);
    expect(attempts.conflicts).toBeGreaterThanOrEqual(1);
    expect(attempts.n).toBe(2 + attempts.conflicts);
  });
});

// The worker keeps its real-commit databases between blocks: a block gets one back only once it equals a fresh
// clone of the template again (the block above left tables of its own, so the next one is cloned again).
describe('real-commit databases from block to block', () => {
  const databaseOid = async (ds: DataSource) =>
    (await ds.query('SELECT oid::text FROM pg_database WHERE datname = current_database()'))[0]
      .oid as string;
  let cloned = '';

  describeRealCommit('after a block that changed the schema', (db) => {
    it('is a fresh clone, and commits a row', async () => {
      expect((await db.dataSource.query(`SELECT to_regclass('rc_jobs') AS t`))[0].t).toBeNull();
      cloned = await databaseOid(db.dataSource);
      await db.dataSource.query(
        "INSERT INTO users (email, password_hash) VALUES ('rc-reuse@example.test', 'x')",
      );
    });
  });

  describeRealCommit('after a block that only committed rows', (db) => {
    it('is the same database, emptied', async () => {
      expect(await databaseOid(db.dataSource)).toBe(cloned);
      expect((await db.dataSource.query('SELECT count(*)::int AS n FROM users'))[0].n).toBe(0);
    });
  });
});

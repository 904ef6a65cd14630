import { DataSource } from 'typeorm';
import { AfterCommitDispatcher, Transactions } from '../../src/database/transactions';
import { CapturingAfterCommit, HarnessError, testServer, useTestModule } from './index';

/**
 * Self-tests of the rollback harness: each fidelity guarantee of docs/testing.md, on the real connection.
 * A probe table is created in beforeAll, inside the file's transaction, so it vanishes with it.
 */
const afterCommit = new CapturingAfterCommit();
const m = useTestModule({
  providers: [],
  overrides: [{ provide: AfterCommitDispatcher, useValue: afterCommit }],
  waitTimeoutMs: 300,
});

let ds: DataSource;
const count = async () =>
  Number((await ds.query('SELECT count(*)::int AS n FROM harness_probe'))[0].n);
const insert = (name: string, runner: { query: DataSource['query'] } = ds) =>
  runner.query('INSERT INTO harness_probe (name) VALUES ($1)', [name]);

beforeAll(async () => {
  ds = m.dataSource;
  await ds.query('CREATE TABLE harness_probe (id serial PRIMARY KEY, name text NOT NULL UNIQUE)');
});

beforeEach(() => afterCommit.reset());

describe('per-test rollback', () => {
  it('writes in one test...', async () => {
    await insert('one');
    expect(await count()).toBe(1);
  });

  it('...are gone in the next', async () => {
    expect(await count()).toBe(0);
  });
});

describe('app transactions become savepoints', () => {
  it('dataSource.transaction commits into the test and rolls back on error, and the test carries on', async () => {
    await ds.transaction(async (manager) => insert('kept', manager));
    await expect(
      ds.transaction(async (manager) => {
        await insert('lost', manager);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await ds.query('SELECT name FROM harness_probe ORDER BY name')).toEqual([
      { name: 'kept' },
    ]);
  });

  it('nested manager.transaction rolls back to its own savepoint only', async () => {
    await ds.transaction(async (outer) => {
      await insert('outer', outer);
      await expect(
        outer.transaction(async (inner) => {
          await insert('inner', inner);
          throw new Error('inner failed');
        }),
      ).rejects.toThrow('inner failed');
      await insert('after', outer);
    });
    expect(
      (await ds.query('SELECT name FROM harness_probe ORDER BY name')).map(
        (r: { name: string }) => r.name,
      ),
    ).toEqual(['after', 'outer']);
  });

  it('a query runner the app starts, commits and releases itself works as in production', async () => {
    const qr = ds.createQueryRunner();
    await qr.connect();
    await qr.startTransaction();
    await insert('committed', qr);
    await qr.commitTransaction();
    await qr.startTransaction();
    await insert('rolled-back', qr);
    await qr.rollbackTransaction();
    await qr.release();
    expect(qr.isReleased).toBe(true);
    expect(
      (await ds.query('SELECT name FROM harness_probe')).map((r: { name: string }) => r.name),
    ).toEqual(['committed']);
  });

  it('Transactions.run with a unique violation inside rolls back and rethrows', async () => {
    const tx = m.get<Transactions>(Transactions);
    await insert('taken');
    await expect(tx.run(async ({ manager }) => insert('taken', manager))).rejects.toMatchObject({
      driverError: { code: '23505' },
    });
    expect(await count()).toBe(1);
  });
});

describe('failures outside app transactions do not poison the test', () => {
  it('a caught unique violation', async () => {
    await insert('dup');
    await expect(insert('dup')).rejects.toMatchObject({ driverError: { code: '23505' } });
    expect(await count()).toBe(1);
  });

  it('an invalid uuid', async () => {
    await expect(ds.query('SELECT $1::uuid', ['not-a-uuid'])).rejects.toMatchObject({
      driverError: { code: '22P02' },
    });
    expect(await ds.query('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
  });
});

describe('concurrent app transactions', () => {
  it('Promise.all of transactions is serialised, no savepoint collision', async () => {
    await Promise.all(
      ['a', 'b', 'c', 'd'].map((name) =>
        ds.transaction(async (manager) => {
          await insert(name, manager);
          await manager.transaction((inner) => insert(`${name}-nested`, inner));
        }),
      ),
    );
    expect(await count()).toBe(8);
  });

  it('a transaction waiting for another one fails with a message naming both', async () => {
    const err = await ds
      .transaction(async () => {
        // A second transaction on another "connection" while the first holds the only one.
        await ds.transaction((inner) => insert('never', inner));
      })
      .catch((e: Error) => e);
    expect(err).toBeInstanceOf(HarnessError);
    expect((err as Error).message).toMatch(/waited 300 ms for the test connection/);
    expect((err as Error).message).toMatch(/isolation\.spec\.ts/);
    expect(await count()).toBe(0);
  });
});

describe('loud failures', () => {
  it('committing or rolling back the outer transaction', async () => {
    const qr = ds.createQueryRunner();
    await expect(qr.commitTransaction()).rejects.toThrow(/would commit the outer test transaction/);
    await expect(qr.rollbackTransaction()).rejects.toThrow(
      /would roll back the outer test transaction/,
    );
  });

  it('an isolation level that cannot be honoured', async () => {
    await expect(ds.transaction('SERIALIZABLE', async () => undefined)).rejects.toThrow(
      /SERIALIZABLE cannot be honoured/,
    );
    await expect(
      ds.transaction('READ COMMITTED', (mgr) => insert('rc', mgr)),
    ).resolves.toBeDefined();
  });
});

describe('session state is reset between tests', () => {
  it('takes a session advisory lock and changes a setting', async () => {
    await ds.query('SELECT pg_advisory_lock(4242)');
    await ds.query("SET work_mem = '1234kB'");
    expect((await ds.query('SHOW work_mem'))[0].work_mem).toBe('1234kB');
  });

  it('finds neither the lock nor the setting', async () => {
    const locks = await ds.query(
      "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()",
    );
    expect(locks[0].n).toBe(0);
    expect((await ds.query('SHOW work_mem'))[0].work_mem).not.toBe('1234kB');
  });
});

describe('after-commit work', () => {
  it('fires when the first-level app savepoint is released, not at nested levels nor on rollback', async () => {
    const tx = m.get<Transactions>(Transactions);
    const fired: string[] = [];
    await tx.run(async (outer) => {
      outer.afterCommit(() => fired.push('outer'));
      await outer.manager.transaction(async () => {
        // a nested savepoint is released here; nothing may fire yet
      });
      expect(fired).toEqual([]);
    });
    expect(fired).toEqual(['outer']);
    await expect(
      tx.run(async (t) => {
        t.afterCommit(() => fired.push('rolled back'));
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(fired).toEqual(['outer']);
    expect(afterCommit.dispatched).toBe(1);
  });

  it('can be held and flushed by the test', async () => {
    afterCommit.hold();
    const fired: number[] = [];
    await m.get<Transactions>(Transactions).run(async (t) => t.afterCommit(() => fired.push(1)));
    expect(fired).toEqual([]);
    expect(afterCommit.pending).toBe(1);
    await afterCommit.flush();
    expect(fired).toEqual([1]);
  });
});

it('knows which server it runs on', () => {
  expect(['postgres', 'pglite']).toContain(testServer());
});

describe('shared fixtures seeded by a later beforeAll (edge case 24)', () => {
  const names = async () =>
    (await ds.query('SELECT name FROM harness_probe ORDER BY name')).map(
      (r: { name: string }) => r.name,
    );

  beforeAll(() => insert('fixture'));
  afterAll(async () => {
    await ds.query("DELETE FROM harness_probe WHERE name = 'fixture'");
    expect(await count()).toBe(0);
  });

  it('are visible to the first test of the block', async () => {
    expect(await names()).toEqual(['fixture']);
    await insert('written-by-test');
  });

  it('and to the next one, without the previous test’s writes', async () => {
    expect(await names()).toEqual(['fixture']);
  });
});

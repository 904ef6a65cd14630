import { Client } from 'pg';
import { acquire, closeIdle, type Lease } from './pglite-pool';
import { ENV, testServer } from './test-env';

/**
 * The PGlite fallback keeps each worker's databases across files (pglite-pool.ts): a database given back must
 * be as good as a fresh copy of the template, and one that is not must fail loudly and never be served again.
 * This file drives a pool of its own (its module instance lives in this file's sandbox, not the worker's).
 */
// The pool serves only the fallback: on a PostgreSQL server each worker has a cloned database instead.
const onPglite = testServer() === 'pglite' ? describe : describe.skip;

onPglite('PGlite pool: a database given back equals the template', () => {
  const dump = () => process.env[ENV.pgliteDump]!;
  const held: Client[] = [];
  const connect = async (lease: Lease) => {
    const client = new Client({ connectionString: lease.url });
    client.on('error', () => undefined); // release() disconnects it: expected here
    await client.connect();
    held.push(client);
    return client;
  };
  const started = async (c: Client) =>
    (await c.query<{ t: string }>('SELECT pg_postmaster_start_time()::text AS t')).rows[0].t;
  const users = async (c: Client) =>
    (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM users')).rows[0].n;

  afterAll(async () => {
    await Promise.all(held.map((c) => c.end().catch(() => undefined)));
    await closeIdle();
  });

  it('rolls back what a client left open, resets the session, and serves the same database again', async () => {
    const first = await acquire(dump());
    const a = await connect(first);
    const instance = await started(a);
    const before = await users(a);
    await a.query('BEGIN');
    await a.query(
      "INSERT INTO users (email, password_hash) VALUES ('left-open@example.test', 'x')",
    );
    await a.query("SET application_name = 'left-behind'");
    await first.release(); // the client is still connected, inside its transaction

    const second = await acquire(dump());
    const b = await connect(second);
    expect(await started(b)).toBe(instance);
    expect(await users(b)).toBe(before);
    expect((await b.query('SHOW application_name')).rows[0].application_name).not.toBe(
      'left-behind',
    );
    await expect(a.query('SELECT 1')).rejects.toThrow(); // the old port is gone
    await second.release();
  });

  it('a committed row fails the release and the database is never served again', async () => {
    const dirty = await acquire(dump());
    const c = await connect(dirty);
    const instance = await started(c);
    const before = await users(c);
    await c.query(
      "INSERT INTO users (email, password_hash) VALUES ('committed@example.test', 'x')",
    );
    await expect(dirty.release()).rejects.toThrow(
      new RegExp(`leaks detected: .*public\\.users \\(${before + 1} rows`),
    );

    const fresh = await acquire(dump());
    const d = await connect(fresh);
    expect(await started(d)).not.toBe(instance);
    expect(await users(d)).toBe(before);
    await fresh.release();
  });
});

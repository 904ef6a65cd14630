import { EntityManager, QueryFailedError } from 'typeorm';
import { queryResult, queryRows } from './query-result';

const inTransaction = (result: unknown) =>
  ({ queryRunner: {}, query: async () => result }) as unknown as EntityManager;

const onPool = (query: (text: string, values: unknown[]) => Promise<unknown>) => {
  const manager = {
    dataSource: { driver: { master: { query } } },
    query: () => Promise.reject(new Error('a statement outside a transaction took a query runner')),
  };
  return manager as unknown as EntityManager;
};

describe('queryRows / queryResult', () => {
  it('in a transaction: on its runner, unwrapping the [rows, count] answer of UPDATE … RETURNING', async () => {
    await expect(queryRows(inTransaction([[{ id: 1 }], 1]), 'UPDATE', [])).resolves.toEqual([
      { id: 1 },
    ]);
    await expect(queryRows(inTransaction([{ id: 1 }, { id: 2 }]), 'SELECT', [])).resolves.toEqual([
      { id: 1 },
      { id: 2 },
    ]);
    await expect(queryRows(inTransaction([]), 'SELECT', [])).resolves.toEqual([]);
  });

  it("outside a transaction: straight to the driver's pool, its errors as QueryFailedError", async () => {
    const sent: unknown[] = [];
    const pool = onPool(async (text, values) => {
      sent.push([text, values]);
      return { rows: [{ id: 1 }], rowCount: 1 };
    });
    await expect(queryRows(pool, 'SELECT $1', [1])).resolves.toEqual([{ id: 1 }]);
    expect(sent).toEqual([['SELECT $1', [1]]]);
    const failing = onPool(() =>
      Promise.reject(Object.assign(new Error('bad uuid'), { code: '22P02' })),
    );
    const err = await queryRows(failing, 'SELECT $1::uuid', ['x']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueryFailedError);
    expect(err).toMatchObject({ driverError: { code: '22P02' }, query: 'SELECT $1::uuid' });
  });

  it('reports the affected row count of UPDATE/DELETE, and none for SELECT', () => {
    expect(queryResult([[], 3])).toEqual({ rows: [], affected: 3 });
    expect(queryResult([{ id: 1 }])).toEqual({ rows: [{ id: 1 }], affected: undefined });
  });
});

import type { EntityManager } from 'typeorm';
import { queryResult, queryRows } from './query-result';

const manager = (result: unknown) => ({ query: async () => result }) as unknown as EntityManager;

describe('queryRows / queryResult', () => {
  it('unwraps the [rows, count] answer of UPDATE … RETURNING and passes plain rows through', async () => {
    await expect(queryRows(manager([[{ id: 1 }], 1]), 'UPDATE', [])).resolves.toEqual([{ id: 1 }]);
    await expect(queryRows(manager([{ id: 1 }, { id: 2 }]), 'SELECT', [])).resolves.toEqual([
      { id: 1 },
      { id: 2 },
    ]);
    await expect(queryRows(manager([]), 'SELECT', [])).resolves.toEqual([]);
  });

  it('reports the affected row count of UPDATE/DELETE, and none for SELECT', () => {
    expect(queryResult([[], 3])).toEqual({ rows: [], affected: 3 });
    expect(queryResult([{ id: 1 }])).toEqual({ rows: [{ id: 1 }], affected: undefined });
  });
});

import type { EntityManager } from 'typeorm';
import { queryRows } from './sql.util';

const manager = (result: unknown) => ({ query: async () => result }) as unknown as EntityManager;

describe('queryRows', () => {
  it('unwraps the [rows, count] answer of UPDATE … RETURNING and passes plain rows through', async () => {
    await expect(queryRows(manager([[{ id: 1 }], 1]), 'UPDATE', [])).resolves.toEqual([{ id: 1 }]);
    await expect(queryRows(manager([{ id: 1 }, { id: 2 }]), 'SELECT', [])).resolves.toEqual([
      { id: 1 },
      { id: 2 },
    ]);
    await expect(queryRows(manager([]), 'SELECT', [])).resolves.toEqual([]);
  });
});

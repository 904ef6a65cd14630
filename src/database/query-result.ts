import type { EntityManager } from 'typeorm';

// TypeORM's postgres driver answers UPDATE/DELETE as `[rows, rowCount]`, SELECT/INSERT as `rows`.
export function queryResult<T>(result: unknown): { rows: T[]; affected: number | undefined } {
  if (
    Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
  ) {
    return { rows: result[0] as T[], affected: result[1] };
  }
  return { rows: result as T[], affected: undefined };
}

export async function queryRows<T>(
  manager: EntityManager,
  sql: string,
  params: unknown[],
): Promise<T[]> {
  return queryResult<T>(await manager.query(sql, params)).rows;
}

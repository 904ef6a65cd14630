import type { EntityManager } from 'typeorm';

/**
 * TypeORM's postgres driver answers `manager.query()` for UPDATE and DELETE (with or without RETURNING) as
 * `[rows, rowCount]`, but SELECT and INSERT as plain `rows`. This normalises both shapes; `affected` is
 * undefined for the plain shape.
 */
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

/** Rows of any statement, whatever shape the driver answered in. */
export async function queryRows<T>(
  manager: EntityManager,
  sql: string,
  params: unknown[],
): Promise<T[]> {
  return queryResult<T>(await manager.query(sql, params)).rows;
}

import type { Pool } from 'pg';
import { EntityManager, QueryFailedError } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

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

/**
 * Inside a transaction on its runner; otherwise straight to the driver's pool, because a query runner taken and
 * released per statement cost ~100 µs of CPU per request in bench/http-providers.ts. The test harness routes
 * that pool through its checks. Errors are QueryFailedError either way.
 */
export async function queryRows<T>(
  manager: EntityManager,
  sql: string,
  params: unknown[],
): Promise<T[]> {
  if (manager.queryRunner) return queryResult<T>(await manager.query(sql, params)).rows;
  const pool = (manager.dataSource.driver as PostgresDriver).master as Pool;
  try {
    return (await pool.query(sql, params)).rows as T[];
  } catch (err) {
    throw new QueryFailedError(sql, params, err as Error);
  }
}

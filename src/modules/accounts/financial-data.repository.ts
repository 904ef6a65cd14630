import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { queryRows } from '../../database/query-result';
import type {
  BrokerageAccountData,
  PositionData,
  TransactionData,
} from '../brokerages/brokerage-data.adapter';

export interface KnownAccount {
  externalId: string;
  lastTransactionDate: string | null;
}

export interface UpsertedAccount {
  id: string;
  externalId: string;
  inserted: boolean;
}

// Well below PostgreSQL's 65,535 bind parameters.
const CHUNK = 500;

// Money goes to PostgreSQL as decimal text into NUMERIC columns: no float on the way.
@Injectable()
export class FinancialDataRepository {
  constructor(private readonly dataSource: DataSource) {}

  async knownAccounts(
    connectionId: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<KnownAccount[]> {
    return manager.query(
      `SELECT a.external_id AS "externalId",
              (SELECT to_char(max(t.date), 'YYYY-MM-DD') FROM account_transactions t WHERE t.account_id = a.id) AS "lastTransactionDate"
       FROM brokerage_accounts a WHERE a.connection_id = $1`,
      [connectionId],
    );
  }

  // A returning account is reopened and its figures replaced.
  async upsertAccounts(
    manager: EntityManager,
    owner: { connectionId: string; userId: string; providerKey: string },
    accounts: BrokerageAccountData[],
    now: Date,
  ): Promise<UpsertedAccount[]> {
    const out: UpsertedAccount[] = [];
    for (const a of accounts) {
      const rows: Array<{ id: string; inserted: boolean }> = await manager.query(
        `INSERT INTO brokerage_accounts (connection_id, user_id, provider_key, external_id, name, type, number_last4,
           currency, status, cash, market_value, total, positions_as_of, last_synced_at, closed_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9, $10, $11, $12, $12, NULL, $12, $12)
         ON CONFLICT (connection_id, external_id) DO UPDATE SET name = EXCLUDED.name, type = EXCLUDED.type,
           number_last4 = EXCLUDED.number_last4, currency = EXCLUDED.currency, status = 'open', cash = EXCLUDED.cash,
           market_value = EXCLUDED.market_value, total = EXCLUDED.total, positions_as_of = EXCLUDED.positions_as_of,
           last_synced_at = EXCLUDED.last_synced_at, closed_at = NULL, updated_at = EXCLUDED.updated_at
         RETURNING id, (xmax = 0) AS inserted`,
        [
          owner.connectionId,
          owner.userId,
          owner.providerKey,
          a.externalId,
          a.name,
          a.type,
          a.numberLast4,
          a.currency,
          a.cash,
          a.marketValue,
          a.total,
          now,
        ],
      );
      out.push({ id: rows[0].id, externalId: a.externalId, inserted: rows[0].inserted });
    }
    return out;
  }

  // Closed, never deleted: their history stays.
  async closeMissing(
    manager: EntityManager,
    connectionId: string,
    returned: string[],
    now: Date,
  ): Promise<number> {
    const rows = await queryRows(
      manager,
      `UPDATE brokerage_accounts SET status = 'closed', closed_at = $3, updated_at = $3
       WHERE connection_id = $1 AND status = 'open' AND NOT (external_id = ANY($2::text[]))
       RETURNING id`,
      [connectionId, returned, now],
    );
    return rows.length;
  }

  async replacePositions(
    manager: EntityManager,
    accountId: string,
    positions: PositionData[],
  ): Promise<void> {
    await manager.query(`DELETE FROM account_positions WHERE account_id = $1`, [accountId]);
    await insertRows(
      manager,
      'account_positions (account_id, symbol, description, asset_type, quantity, average_price, market_value, currency)',
      positions.map((p) => [
        accountId,
        p.symbol,
        p.description,
        p.assetType,
        p.quantity,
        p.averagePrice,
        p.marketValue,
        p.currency,
      ]),
    );
  }

  async appendTransactions(
    manager: EntityManager,
    accountId: string,
    txs: TransactionData[],
  ): Promise<number> {
    return insertRows(
      manager,
      `account_transactions (account_id, external_id, date, settlement_date, type, description, symbol, quantity,
         price, amount, currency)`,
      txs.map((t) => [
        accountId,
        t.externalId,
        t.date,
        t.settlementDate,
        t.type,
        t.description,
        t.symbol,
        t.quantity,
        t.price,
        t.amount,
        t.currency,
      ]),
      'ON CONFLICT (account_id, external_id) DO NOTHING',
    );
  }

  async appendBalance(
    manager: EntityManager,
    accountId: string,
    a: BrokerageAccountData,
    asOf: Date,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO account_balances (account_id, as_of, cash, market_value, total, currency) VALUES ($1, $2, $3, $4, $5, $6)`,
      [accountId, asOf, a.cash, a.marketValue, a.total, a.currency],
    );
  }
}

async function insertRows(
  manager: EntityManager,
  target: string,
  rows: unknown[][],
  suffix = '',
): Promise<number> {
  let inserted = 0;
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    const width = chunk[0].length;
    const values = chunk
      .map(
        (_, r) =>
          `(${Array.from({ length: width }, (__, c) => `$${r * width + c + 1}`).join(', ')})`,
      )
      .join(', ');
    const result: unknown[] = await manager.query(
      `INSERT INTO ${target} VALUES ${values} ${suffix} RETURNING 1`,
      chunk.flat(),
    );
    inserted += result.length;
  }
  return inserted;
}

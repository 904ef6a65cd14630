import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AccountTransactionEntity } from './account-transaction.entity';
import { BalancePointEntity } from './balance-point.entity';
import { BrokerageAccountEntity } from './brokerage-account.entity';
import { PositionEntity } from './position.entity';

export interface AccountCursor {
  createdAt: Date;
  id: string;
}

export interface TransactionCursor {
  date: string;
  id: string;
}

export interface TransactionFilter {
  from?: string;
  to?: string;
  type?: string;
}

// Scoped by `user_id`, so another user's ids read exactly like unknown ones.
@Injectable()
export class AccountsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async listOwned(
    userId: string,
    limit: number,
    connectionId?: string,
    after?: AccountCursor,
  ): Promise<BrokerageAccountEntity[]> {
    const qb = this.dataSource.manager
      .createQueryBuilder(BrokerageAccountEntity, 'a')
      .where('a.user_id = :userId', { userId })
      .orderBy('a.created_at', 'ASC')
      .addOrderBy('a.id', 'ASC')
      .take(limit);
    if (connectionId) qb.andWhere('a.connection_id = :connectionId', { connectionId });
    if (after)
      qb.andWhere('(a.created_at, a.id) > (:createdAt, :id)', {
        createdAt: after.createdAt,
        id: after.id,
      });
    return qb.getMany();
  }

  async findOwned(userId: string, id: string): Promise<BrokerageAccountEntity | null> {
    return this.dataSource.manager.findOne(BrokerageAccountEntity, { where: { id, userId } });
  }

  async positions(accountId: string): Promise<PositionEntity[]> {
    return this.dataSource.manager
      .createQueryBuilder(PositionEntity, 'p')
      .where('p.account_id = :accountId', { accountId })
      .orderBy('p.market_value', 'DESC')
      .addOrderBy('p.symbol', 'ASC')
      .getMany();
  }

  // Keyset page on (date, id): the row comparison walks the index from the cursor, so a deep page costs
  // what the first does.
  async transactions(
    accountId: string,
    filter: TransactionFilter,
    limit: number,
    after?: TransactionCursor,
  ): Promise<AccountTransactionEntity[]> {
    const qb = this.dataSource.manager
      .createQueryBuilder(AccountTransactionEntity, 't')
      .where('t.account_id = :accountId', { accountId })
      .orderBy('t.date', 'DESC')
      .addOrderBy('t.id', 'DESC')
      .limit(limit);
    if (filter.type) qb.andWhere('t.type = :type', { type: filter.type });
    if (filter.from) qb.andWhere('t.date >= :from', { from: filter.from });
    if (filter.to) qb.andWhere('t.date <= :to', { to: filter.to });
    if (after) qb.andWhere('(t.date, t.id) < (:date, :id)', { date: after.date, id: after.id });
    return qb.getMany();
  }

  async balances(accountId: string, from: Date, toExclusive: Date): Promise<BalancePointEntity[]> {
    return this.dataSource.manager
      .createQueryBuilder(BalancePointEntity, 'b')
      .where('b.account_id = :accountId AND b.as_of >= :from AND b.as_of < :to', {
        accountId,
        from,
        to: toExclusive,
      })
      .orderBy('b.as_of', 'ASC')
      .addOrderBy('b.id', 'ASC')
      .getMany();
  }
}

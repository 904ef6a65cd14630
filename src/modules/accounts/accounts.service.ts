import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { formatMoney, formatQuantity } from '../../common/decimal';
import { isUuid } from '../../common/uuid';
import type { AssetType, TransactionType } from '../brokerages/brokerage-data.adapter';
import { isCalendarDate } from '../brokerages/payload';
import type { AccountTransactionEntity } from './account-transaction.entity';
import { accountNotFound, invalidCursor, invalidDateRange } from './accounts.errors';
import { AccountsRepository, type TransactionFilter } from './accounts.repository';
import type {
  AccountPage,
  AccountView,
  BalancesView,
  PositionsView,
  TransactionPage,
  TransactionView,
} from './accounts.dto';
import type { BrokerageAccountEntity } from './brokerage-account.entity';

const DAY_MS = 86_400_000;
const DEFAULT_BALANCE_DAYS = 90;
const MAX_BALANCE_DAYS = 366;

/** The financial-data API: the owner's accounts, positions snapshot, transactions and balance history. */
@Injectable()
export class AccountsService {
  constructor(
    private readonly accounts: AccountsRepository,
    private readonly clock: Clock,
  ) {}

  async list(
    userId: string,
    limit = 50,
    connectionId?: string,
    cursor?: string,
  ): Promise<AccountPage> {
    const after =
      cursor === undefined
        ? undefined
        : decodeCursor(cursor, (a, b) => ({ createdAt: parseInstant(a), id: b }));
    const rows = await this.accounts.listOwned(userId, limit + 1, connectionId, after);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toAccountView),
      nextCursor:
        rows.length > limit && last ? encodeCursor(last.createdAt.toISOString(), last.id) : null,
    };
  }

  async get(userId: string, id: string): Promise<AccountView> {
    return toAccountView(await this.owned(userId, id));
  }

  async positions(userId: string, id: string): Promise<PositionsView> {
    const account = await this.owned(userId, id);
    const rows = await this.accounts.positions(account.id);
    return {
      asOf: account.positionsAsOf?.toISOString() ?? null,
      items: rows.map((p) => ({
        symbol: p.symbol,
        description: p.description,
        assetType: p.assetType as AssetType,
        quantity: formatQuantity(p.quantity),
        averagePrice: p.averagePrice === null ? null : formatMoney(p.averagePrice),
        marketValue: formatMoney(p.marketValue),
        currency: p.currency,
      })),
    };
  }

  async transactions(
    userId: string,
    id: string,
    filter: TransactionFilter,
    limit = 50,
    cursor?: string,
  ): Promise<TransactionPage> {
    const account = await this.owned(userId, id);
    if (filter.from && !isCalendarDate(filter.from))
      throw invalidDateRange('`from` is not a calendar date.');
    if (filter.to && !isCalendarDate(filter.to))
      throw invalidDateRange('`to` is not a calendar date.');
    if (filter.from && filter.to && filter.from > filter.to)
      throw invalidDateRange('`from` is after `to`.');
    const after =
      cursor === undefined
        ? undefined
        : decodeCursor(cursor, (date, txId) => {
            if (!isCalendarDate(date)) throw invalidCursor();
            return { date, id: txId };
          });
    const rows = await this.accounts.transactions(account.id, filter, limit + 1, after);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toTransactionView),
      nextCursor: rows.length > limit && last ? encodeCursor(last.date, last.id) : null,
    };
  }

  async balances(userId: string, id: string, from?: string, to?: string): Promise<BalancesView> {
    const account = await this.owned(userId, id);
    const toDate = to ?? this.clock.now().toISOString().slice(0, 10);
    if (!isCalendarDate(toDate) || (from !== undefined && !isCalendarDate(from)))
      throw invalidDateRange('A date is not a calendar date.');
    const end = Date.parse(`${toDate}T00:00:00Z`) + DAY_MS;
    const start = from ? Date.parse(`${from}T00:00:00Z`) : end - DEFAULT_BALANCE_DAYS * DAY_MS;
    if (start >= end) throw invalidDateRange('`from` is after `to`.');
    if (end - start > MAX_BALANCE_DAYS * DAY_MS)
      throw invalidDateRange(`At most ${MAX_BALANCE_DAYS} days per request.`);
    const rows = await this.accounts.balances(account.id, new Date(start), new Date(end));
    return {
      items: rows.map((b) => ({
        asOf: b.asOf.toISOString(),
        cash: formatMoney(b.cash),
        marketValue: formatMoney(b.marketValue),
        total: formatMoney(b.total),
        currency: b.currency,
      })),
    };
  }

  private async owned(userId: string, id: string): Promise<BrokerageAccountEntity> {
    const row = await this.accounts.findOwned(userId, id);
    if (!row) throw accountNotFound();
    return row;
  }
}

export function toAccountView(a: BrokerageAccountEntity): AccountView {
  return {
    id: a.id,
    connectionId: a.connectionId,
    providerKey: a.providerKey,
    name: a.name,
    type: a.type,
    numberMasked: `…${a.numberLast4}`,
    currency: a.currency,
    status: a.status,
    balances: {
      cash: formatMoney(a.cash),
      marketValue: formatMoney(a.marketValue),
      total: formatMoney(a.total),
    },
    lastSyncedAt: a.lastSyncedAt.toISOString(),
  };
}

function toTransactionView(t: AccountTransactionEntity): TransactionView {
  return {
    id: t.id,
    date: t.date,
    settlementDate: t.settlementDate,
    type: t.type as TransactionType,
    description: t.description,
    symbol: t.symbol,
    quantity: t.quantity === null ? null : formatQuantity(t.quantity),
    price: t.price === null ? null : formatMoney(t.price),
    amount: formatMoney(t.amount),
    currency: t.currency,
  };
}

/** Opaque keyset cursor: base64url of `<key>|<uuid>`. */
function encodeCursor(key: string, id: string): string {
  return Buffer.from(`${key}|${id}`, 'utf8').toString('base64url');
}

function decodeCursor<T>(value: string, build: (key: string, id: string) => T): T {
  if (!/^[A-Za-z0-9_-]+$/.test(value)) throw invalidCursor();
  const [key, id, ...rest] = Buffer.from(value, 'base64url').toString('utf8').split('|');
  if (rest.length || !key || !id || !isUuid(id)) throw invalidCursor();
  return build(key, id);
}

function parseInstant(iso: string): Date {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) throw invalidCursor();
  return d;
}

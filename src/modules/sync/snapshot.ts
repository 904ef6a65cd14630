import { normalizeDecimal } from '../../common/decimal';
import type {
  BrokerageAccountData,
  BrokerageDataAdapter,
  DataRequest,
  PositionData,
  TransactionData,
} from '../brokerages/brokerage-data.adapter';
import {
  ASSET_TYPES,
  BrokeragePayloadError,
  TRANSACTION_TYPES,
} from '../brokerages/brokerage-data.adapter';
import { isCalendarDate } from '../brokerages/payload';
import type { KnownAccount } from '../accounts/financial-data.repository';

export interface AccountSnapshot {
  account: BrokerageAccountData;
  positions: PositionData[];
  transactions: TransactionData[];
}

const DAY_MS = 86_400_000;

// Fetched before any transaction opens (no pooled connection is held across a brokerage call) and checked whole.
// A known account re-reads from its newest transaction minus `overlapDays`: de-duplication makes the overlap free.
export async function fetchSnapshot(
  adapter: BrokerageDataAdapter,
  request: DataRequest,
  known: KnownAccount[],
  window: { today: string; historyDays: number; overlapDays: number },
): Promise<AccountSnapshot[]> {
  const last = new Map(known.map((k) => [k.externalId, k.lastTransactionDate]));
  const accounts = await adapter.listAccounts(request);
  const seen = new Set<string>();
  const out: AccountSnapshot[] = [];
  for (const [i, account] of accounts.entries()) {
    checkAccount(account, `accounts[${i}]`);
    if (seen.has(account.externalId)) throw new BrokeragePayloadError(`accounts[${i}].externalId`);
    seen.add(account.externalId);
    const lastDate = last.get(account.externalId);
    const from = lastDate
      ? shift(lastDate, -window.overlapDays)
      : shift(window.today, 1 - window.historyDays);
    const positions = await adapter.getPositions(request, account);
    positions.forEach((p, j) => checkPosition(p, `accounts[${i}].positions[${j}]`));
    const transactions = await adapter.getTransactions(request, account, from, window.today);
    const ids = new Set<string>();
    transactions.forEach((t, j) => {
      checkTransaction(t, `accounts[${i}].transactions[${j}]`);
      ids.add(t.externalId);
    });
    // The same id twice in one answer would make "added" counts lie; keep the first.
    const unique = ids.size === transactions.length ? transactions : dedupe(transactions);
    out.push({ account, positions, transactions: unique });
  }
  return out;
}

function checkAccount(a: BrokerageAccountData, path: string): void {
  text(a.externalId, `${path}.externalId`, 200);
  text(a.name, `${path}.name`, 200);
  text(a.type, `${path}.type`, 50);
  text(a.apiHandle, `${path}.apiHandle`, 1000);
  if (!/^\d{4}$/.test(a.numberLast4)) throw new BrokeragePayloadError(`${path}.numberLast4`);
  currency(a.currency, `${path}.currency`);
  for (const k of ['cash', 'marketValue', 'total'] as const) decimal(a[k], `${path}.${k}`);
}

function checkPosition(p: PositionData, path: string): void {
  text(p.symbol, `${path}.symbol`, 100);
  if (p.description !== null) text(p.description, `${path}.description`, 500);
  if (!(ASSET_TYPES as readonly string[]).includes(p.assetType))
    throw new BrokeragePayloadError(`${path}.assetType`);
  decimal(p.quantity, `${path}.quantity`);
  if (p.averagePrice !== null) decimal(p.averagePrice, `${path}.averagePrice`);
  decimal(p.marketValue, `${path}.marketValue`);
  currency(p.currency, `${path}.currency`);
}

function checkTransaction(t: TransactionData, path: string): void {
  text(t.externalId, `${path}.externalId`, 200);
  if (!isCalendarDate(t.date)) throw new BrokeragePayloadError(`${path}.date`);
  if (t.settlementDate !== null && !isCalendarDate(t.settlementDate))
    throw new BrokeragePayloadError(`${path}.settlementDate`);
  if (!(TRANSACTION_TYPES as readonly string[]).includes(t.type))
    throw new BrokeragePayloadError(`${path}.type`);
  if (t.description !== null) text(t.description, `${path}.description`, 500);
  if (t.symbol !== null) text(t.symbol, `${path}.symbol`, 100);
  if (t.quantity !== null) decimal(t.quantity, `${path}.quantity`);
  if (t.price !== null) decimal(t.price, `${path}.price`);
  decimal(t.amount, `${path}.amount`);
  currency(t.currency, `${path}.currency`);
}

function text(v: unknown, path: string, max: number): void {
  if (typeof v !== 'string' || v.length === 0 || v.length > max || v.includes('\u0000')) {
    throw new BrokeragePayloadError(path);
  }
}

function decimal(v: unknown, path: string): void {
  try {
    if (typeof v !== 'string') throw new Error('not a string');
    normalizeDecimal(v);
  } catch {
    throw new BrokeragePayloadError(path);
  }
}

function currency(v: unknown, path: string): void {
  if (typeof v !== 'string' || !/^[A-Z]{3}$/.test(v)) throw new BrokeragePayloadError(path);
}

function dedupe(txs: TransactionData[]): TransactionData[] {
  const seen = new Set<string>();
  return txs.filter((t) => !seen.has(t.externalId) && seen.add(t.externalId));
}

export function shift(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

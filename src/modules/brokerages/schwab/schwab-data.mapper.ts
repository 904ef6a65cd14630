import { createHash } from 'node:crypto';
import { addDecimals } from '../../../common/decimal';
import type {
  AssetType,
  BrokerageAccountData,
  PositionData,
  TransactionData,
  TransactionType,
} from '../brokerage-data.adapter';
import { BrokeragePayloadError } from '../brokerage-data.adapter';
import { Payload } from '../payload';

// Schwab's Trader API payloads carry no currency field; its accounts are in US dollars.
const USD = 'USD';

// Positions travel with their account: one HTTP call serves listAccounts and getPositions.
export interface SchwabAccountData extends BrokerageAccountData {
  positions: PositionData[];
}

// Only the account number's last 4 digits survive; the external id is a SHA-256 of Schwab's opaque hashValue,
// so nothing derived from the number itself is stored.
export function mapSchwabAccounts(
  numbersJson: unknown,
  accountsJson: unknown,
): SchwabAccountData[] {
  const hashes = new Map<string, string>();
  for (const entry of new Payload(numbersJson).array()) {
    hashes.set(accountNumber(entry.get('accountNumber')), entry.get('hashValue').string());
  }
  return new Payload(accountsJson).array().map((item) => {
    const acct = item.get('securitiesAccount');
    const number = accountNumber(acct.get('accountNumber'));
    const hashValue = hashes.get(number);
    if (!hashValue) throw new BrokeragePayloadError(`${acct.path}.accountNumber`);
    const balances = acct.get('currentBalances');
    const cash = balances.get('cashBalance').decimal();
    const total = balances.get('liquidationValue').decimal();
    const type = acct.get('type').string().toLowerCase();
    const last4 = number.slice(-4);
    return {
      externalId: createHash('sha256').update(hashValue, 'utf8').digest('hex'),
      name: `Schwab ${type === 'margin' ? 'Margin' : type === 'cash' ? 'Cash' : 'Brokerage'} …${last4}`,
      type,
      numberLast4: last4,
      currency: USD,
      cash,
      // Whatever is not cash (long and short positions, money market): exact, from Schwab's own two totals.
      marketValue: addDecimals(total, negate(cash)),
      total,
      apiHandle: hashValue,
      positions: acct.get('positions').optionalArray().map(mapSchwabPosition),
    };
  });
}

export function mapSchwabPosition(p: Payload): PositionData {
  const instrument = p.get('instrument');
  const long = p.get('longQuantity').optionalDecimal() ?? '0';
  const short = p.get('shortQuantity').optionalDecimal() ?? '0';
  return {
    symbol: instrument.get('symbol').string(),
    description: instrument.get('description').optionalString(),
    assetType: assetType(
      instrument.get('assetType').string(),
      instrument.get('type').optionalString(),
    ),
    quantity: addDecimals(long, negate(short)),
    averagePrice: p.get('averagePrice').optionalDecimal(),
    marketValue: p.get('marketValue').decimal(),
    currency: USD,
  };
}

// Only VALID ones: a PENDING transaction comes back VALID (same activityId) on a later sync.
export function mapSchwabTransactions(json: unknown): TransactionData[] {
  const out: TransactionData[] = [];
  for (const t of new Payload(json).array()) {
    if (t.get('status').optionalString() !== 'VALID') continue;
    const items = t.get('transferItems').optionalArray();
    const security = items.find(
      (i) => i.get('instrument').get('assetType').optionalString() !== 'CURRENCY',
    );
    const kind = t.get('type').string();
    const description = t.get('description').optionalString();
    const type = transactionType(kind, description, items, security);
    const instrument = security?.get('instrument');
    out.push({
      externalId: t.get('activityId').decimal(),
      date: t.get('tradeDate').date(),
      settlementDate: t.get('settlementDate').optionalDate(),
      type,
      description: description ?? kind,
      symbol: instrument?.get('symbol').optionalString() ?? null,
      quantity: type === 'trade' ? (security?.get('amount').optionalDecimal() ?? null) : null,
      price: type === 'trade' ? (security?.get('price').optionalDecimal() ?? null) : null,
      amount: t.get('netAmount').decimal(),
      currency: USD,
    });
  }
  return out;
}

const TRANSFER_TYPES = new Set([
  'ACH_RECEIPT',
  'ACH_DISBURSEMENT',
  'CASH_RECEIPT',
  'CASH_DISBURSEMENT',
  'ELECTRONIC_FUND',
  'WIRE_IN',
  'WIRE_OUT',
  'RECEIVE_AND_DELIVER',
  'JOURNAL',
]);

function transactionType(
  kind: string,
  description: string | null,
  items: Payload[],
  security: Payload | undefined,
): TransactionType {
  if (kind === 'TRADE') return 'trade';
  if (kind === 'DIVIDEND_OR_INTEREST')
    return /\bINT(EREST)?\b/i.test(description ?? '') ? 'interest' : 'dividend';
  // A movement made only of fee legs (ADR fees, charges journaled to the account) is a fee, not a transfer.
  if (!security && items.length > 0 && items.every((i) => i.get('feeType').present)) return 'fee';
  if (TRANSFER_TYPES.has(kind)) return 'transfer';
  return 'other';
}

function assetType(schwab: string, subType: string | null): AssetType {
  switch (schwab) {
    case 'EQUITY':
      return subType === 'EXCHANGE_TRADED_FUND' ? 'etf' : 'equity';
    case 'ETF':
      return 'etf';
    case 'COLLECTIVE_INVESTMENT':
      return subType === 'EXCHANGE_TRADED_FUND' ? 'etf' : 'other';
    case 'MUTUAL_FUND':
      return 'mutual_fund';
    case 'OPTION':
      return 'option';
    case 'FIXED_INCOME':
      return 'fixed_income';
    case 'CASH_EQUIVALENT':
      return 'cash_equivalent';
    default:
      return 'other';
  }
}

function accountNumber(p: Payload): string {
  const n = p.string();
  if (!/^\d{4,20}$/.test(n)) throw new BrokeragePayloadError(p.path);
  return n;
}

function negate(d: string): string {
  return d.startsWith('-') ? d.slice(1) : d === '0' ? d : `-${d}`;
}

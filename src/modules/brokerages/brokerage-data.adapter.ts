import { BrokerageError } from './brokerage-adapter';

// Separate from the OAuth adapter. Values come back normalised and validated; a payload that does not fit
// throws BrokeragePayloadError whole.
export const BROKERAGE_DATA_ADAPTERS = Symbol('BROKERAGE_DATA_ADAPTERS');

export type BrokerageDataAdapters = ReadonlyMap<string, BrokerageDataAdapter>;

export const ASSET_TYPES = [
  'equity',
  'etf',
  'mutual_fund',
  'option',
  'fixed_income',
  'cash_equivalent',
  'other',
] as const;
export type AssetType = (typeof ASSET_TYPES)[number];

export const TRANSACTION_TYPES = [
  'trade',
  'dividend',
  'interest',
  'transfer',
  'fee',
  'other',
] as const;
export type TransactionType = (typeof TRANSACTION_TYPES)[number];

// Never log the token.
export interface DataRequest {
  connectionId: string;
  accessToken: string;
}

export interface BrokerageAccountData {
  // Never the full account number.
  externalId: string;
  name: string;
  type: string;
  numberLast4: string;
  currency: string;
  cash: string;
  marketValue: string;
  total: string;
  // Opaque handle the brokerage's API wants back (Schwab's hashValue): a secret.
  apiHandle: string;
}

export interface PositionData {
  symbol: string;
  description: string | null;
  assetType: AssetType;
  quantity: string;
  averagePrice: string | null;
  marketValue: string;
  currency: string;
}

export interface TransactionData {
  externalId: string;
  date: string;
  settlementDate: string | null;
  type: TransactionType;
  description: string | null;
  symbol: string | null;
  quantity: string | null;
  price: string | null;
  amount: string;
  currency: string;
}

export interface BrokerageDataAdapter {
  readonly key: string;
  listAccounts(request: DataRequest): Promise<BrokerageAccountData[]>;
  getPositions(request: DataRequest, account: BrokerageAccountData): Promise<PositionData[]>;
  getTransactions(
    request: DataRequest,
    account: BrokerageAccountData,
    from: string,
    to: string,
  ): Promise<TransactionData[]>;
}

// Temporary for the connection's state (the brokerage may fix it); nothing of the payload is stored, and
// `path` names where it failed, never the value.
export class BrokeragePayloadError extends BrokerageError {
  constructor(readonly path: string) {
    super('temporary', 'malformed_payload');
    this.message = `brokerage payload rejected at ${path}`;
    this.name = 'BrokeragePayloadError';
  }
}

export { BrokerageError };

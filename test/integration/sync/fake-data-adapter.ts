import type {
  BrokerageAccountData,
  BrokerageDataAdapter,
  DataRequest,
  PositionData,
  TransactionData,
} from '../../../src/modules/brokerages/brokerage-data.adapter';

export interface FakeAccount {
  account: BrokerageAccountData;
  positions: PositionData[];
  transactions: TransactionData[];
}

/** A scripted brokerage data API: what it holds, what it was asked, and a failure to throw at one step. */
export class FakeDataAdapter implements BrokerageDataAdapter {
  accounts: FakeAccount[] = [];
  calls: Array<{ op: string; externalId?: string; from?: string; to?: string; token: string }> = [];
  failAt?: {
    op: 'listAccounts' | 'getPositions' | 'getTransactions';
    externalId?: string;
    error: unknown;
  };

  constructor(readonly key = 'fake') {}

  async listAccounts(request: DataRequest): Promise<BrokerageAccountData[]> {
    this.step('listAccounts', request);
    return this.accounts.map((a) => ({ ...a.account }));
  }

  async getPositions(request: DataRequest, account: BrokerageAccountData): Promise<PositionData[]> {
    this.step('getPositions', request, account.externalId);
    return this.find(account).positions.map((p) => ({ ...p }));
  }

  async getTransactions(
    request: DataRequest,
    account: BrokerageAccountData,
    from: string,
    to: string,
  ): Promise<TransactionData[]> {
    this.step('getTransactions', request, account.externalId, from, to);
    return this.find(account)
      .transactions.filter((t) => t.date >= from && t.date <= to)
      .map((t) => ({ ...t }));
  }

  private step(
    op: string,
    request: DataRequest,
    externalId?: string,
    from?: string,
    to?: string,
  ): void {
    this.calls.push({ op, externalId, from, to, token: request.accessToken });
    const f = this.failAt;
    if (f && f.op === op && (f.externalId === undefined || f.externalId === externalId))
      throw f.error;
  }

  private find(account: BrokerageAccountData): FakeAccount {
    return this.accounts.find((a) => a.account.externalId === account.externalId)!;
  }
}

export function fakeAccount(n: number, over: Partial<BrokerageAccountData> = {}): FakeAccount {
  return {
    account: {
      externalId: `acct-${n}`,
      name: `Account ${n}`,
      type: 'margin',
      numberLast4: `000${n}`.slice(-4),
      currency: 'USD',
      cash: '1000.10',
      marketValue: '2000.20',
      total: '3000.30',
      apiHandle: `HASH-VALUE-${n}-SECRET`,
      ...over,
    },
    positions: [
      {
        symbol: 'AAPL',
        description: 'Apple',
        assetType: 'equity',
        quantity: '10.12345678',
        averagePrice: '150.01',
        marketValue: '1518.52',
        currency: 'USD',
      },
      {
        symbol: 'SPY',
        description: null,
        assetType: 'etf',
        quantity: '1',
        averagePrice: null,
        marketValue: '481.68',
        currency: 'USD',
      },
    ],
    transactions: [],
  };
}

export function fakeTransaction(
  id: string,
  date: string,
  amount = '-10.00',
  over: Partial<TransactionData> = {},
): TransactionData {
  return {
    externalId: id,
    date,
    settlementDate: null,
    type: 'trade',
    description: `tx ${id}`,
    symbol: 'AAPL',
    quantity: '1',
    price: '10',
    amount,
    currency: 'USD',
    ...over,
  };
}

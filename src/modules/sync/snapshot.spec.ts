import type {
  BrokerageAccountData,
  BrokerageDataAdapter,
  PositionData,
  TransactionData,
} from '../brokerages/brokerage-data.adapter';
import { BrokeragePayloadError } from '../brokerages/brokerage-data.adapter';
import { fetchSnapshot, shift } from './snapshot';

const account = (n: number, over: Partial<BrokerageAccountData> = {}): BrokerageAccountData => ({
  externalId: `a${n}`,
  name: `Account ${n}`,
  type: 'cash',
  numberLast4: '1234',
  currency: 'USD',
  cash: '1.00',
  marketValue: '2',
  total: '3.00',
  apiHandle: 'h',
  ...over,
});
const position = (over: Partial<PositionData> = {}): PositionData => ({
  symbol: 'X',
  description: null,
  assetType: 'equity',
  quantity: '1',
  averagePrice: null,
  marketValue: '1',
  currency: 'USD',
  ...over,
});
const tx = (id: string, over: Partial<TransactionData> = {}): TransactionData => ({
  externalId: id,
  date: '2026-01-02',
  settlementDate: null,
  type: 'fee',
  description: null,
  symbol: null,
  quantity: null,
  price: null,
  amount: '-1',
  currency: 'USD',
  ...over,
});

function adapter(
  accounts: BrokerageAccountData[],
  positions: PositionData[] = [],
  txs: TransactionData[] = [],
) {
  const windows: Array<[string, string, string]> = [];
  const a: BrokerageDataAdapter = {
    key: 'k',
    listAccounts: async () => accounts,
    getPositions: async () => positions,
    getTransactions: async (_r, acct, from, to) => {
      windows.push([acct.externalId, from, to]);
      return txs;
    },
  };
  return { a, windows };
}

const req = { connectionId: 'c', accessToken: 't' };
const window = { today: '2026-03-01', historyDays: 10, overlapDays: 2 };

describe('fetchSnapshot', () => {
  it('windows: history for a new account (today included), newest stored date minus the overlap otherwise', async () => {
    const { a, windows } = adapter([account(1), account(2)]);
    await fetchSnapshot(
      a,
      req,
      [
        { externalId: 'a2', lastTransactionDate: '2026-02-27' },
        { externalId: 'a1', lastTransactionDate: null },
      ],
      window,
    );
    expect(windows).toEqual([
      ['a1', '2026-02-20', '2026-03-01'],
      ['a2', '2026-02-25', '2026-03-01'],
    ]);
    expect(shift('2026-03-01', -1)).toBe('2026-02-28');
  });

  it('keeps the first of a transaction id the brokerage repeated in one answer', async () => {
    const { a } = adapter(
      [account(1)],
      [position({ description: 'd', averagePrice: '1.5' })],
      [tx('t1'), tx('t1', { amount: '-2' }), tx('t2')],
    );
    const [s] = await fetchSnapshot(a, req, [], window);
    expect(s.transactions.map((t) => [t.externalId, t.amount])).toEqual([
      ['t1', '-1'],
      ['t2', '-1'],
    ]);
  });

  it.each([
    ['a duplicate account id', [account(1), account(1)], [], [], 'accounts[1].externalId'],
    [
      'a full account number',
      [account(1, { numberLast4: '12345678' })],
      [],
      [],
      'accounts[0].numberLast4',
    ],
    [
      'a currency that is not ISO 4217',
      [account(1, { currency: 'usd' })],
      [],
      [],
      'accounts[0].currency',
    ],
    [
      'a float where a decimal string belongs',
      [account(1, { cash: 1.1 as unknown as string })],
      [],
      [],
      'accounts[0].cash',
    ],
    ['an empty name', [account(1, { name: '' })], [], [], 'accounts[0].name'],
    [
      'a NUL in a description',
      [account(1)],
      [position({ description: 'a\u0000b' })],
      [],
      'accounts[0].positions[0].description',
    ],
    [
      'an unknown asset type',
      [account(1)],
      [position({ assetType: 'crypto' as never })],
      [],
      'accounts[0].positions[0].assetType',
    ],
    [
      'a bad average price',
      [account(1)],
      [position({ averagePrice: 'x' })],
      [],
      'accounts[0].positions[0].averagePrice',
    ],
    [
      'a bad date',
      [account(1)],
      [],
      [tx('t', { date: '2026-02-30' })],
      'accounts[0].transactions[0].date',
    ],
    [
      'a bad settlement date',
      [account(1)],
      [],
      [tx('t', { settlementDate: 'soon' })],
      'accounts[0].transactions[0].settlementDate',
    ],
    [
      'an unknown type',
      [account(1)],
      [],
      [tx('t', { type: 'gift' as never })],
      'accounts[0].transactions[0].type',
    ],
    [
      'a bad quantity',
      [account(1)],
      [],
      [tx('t', { quantity: '1e999' })],
      'accounts[0].transactions[0].quantity',
    ],
    [
      'a bad price',
      [account(1)],
      [],
      [tx('t', { price: '' })],
      'accounts[0].transactions[0].price',
    ],
    [
      'a long symbol',
      [account(1)],
      [],
      [tx('t', { symbol: 'S'.repeat(101) })],
      'accounts[0].transactions[0].symbol',
    ],
    [
      'an empty description',
      [account(1)],
      [],
      [tx('t', { description: '' })],
      'accounts[0].transactions[0].description',
    ],
  ])('refuses %s, naming the path', async (_name, accounts, positions, txs, path) => {
    const { a } = adapter(accounts, positions, txs);
    const err = await fetchSnapshot(a, req, [], window).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokeragePayloadError);
    expect((err as Error).message).toBe(`brokerage payload rejected at ${path}`);
  });
});

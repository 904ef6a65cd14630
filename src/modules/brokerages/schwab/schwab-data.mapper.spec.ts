import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BrokeragePayloadError } from '../brokerage-data.adapter';
import { parseLosslessJson } from '../payload';
import { mapSchwabAccounts, mapSchwabTransactions } from './schwab-data.mapper';

const fixture = (name: string) =>
  readFileSync(join(__dirname, '../../../../test/fixtures/schwab', name), 'utf8');
const numbers = () => parseLosslessJson(fixture('account-numbers.json'));
const accounts = () => parseLosslessJson(fixture('accounts-positions.json'));

describe('Schwab data mapping', () => {
  it('maps securitiesAccount and currentBalances; keeps only the last 4 digits of the number', () => {
    const mapped = mapSchwabAccounts(numbers(), accounts());
    expect(mapped.map(({ positions: _p, ...a }) => a)).toEqual([
      {
        externalId: expect.stringMatching(/^[0-9a-f]{64}$/),
        name: 'Schwab Margin …4567',
        type: 'margin',
        numberLast4: '4567',
        currency: 'USD',
        cash: '2210.19',
        marketValue: '9942.795',
        total: '12152.985',
        apiHandle: 'E8A7B2C1D0F94E3B8A6C5D4E3F2A1B0C9D8E7F6A5B4C3D2E1F0A9B8C7D6E5F4',
      },
      expect.objectContaining({
        type: 'cash',
        numberLast4: '6543',
        cash: '0.01',
        total: '18283.05',
      }),
    ]);
    expect(JSON.stringify(mapped)).not.toMatch(/61234567|79876543/);
  });

  it('maps positions: long minus short quantity, asset types, exact decimals', () => {
    const [margin, cash] = mapSchwabAccounts(numbers(), accounts());
    expect(margin.positions).toEqual([
      {
        symbol: 'AAPL',
        description: null,
        assetType: 'equity',
        quantity: '20',
        averagePrice: '187.3412',
        marketValue: '3794.6',
        currency: 'USD',
      },
      // 401.10000000000002 in Schwab's JSON: rounded on its digits to the 8 decimals we keep.
      {
        symbol: 'SPY',
        description: 'SPDR S&P 500',
        assetType: 'etf',
        quantity: '12.5',
        averagePrice: '401.1',
        marketValue: '5437.125',
        currency: 'USD',
      },
      expect.objectContaining({
        symbol: 'AAPL  260619C00190000',
        assetType: 'option',
        quantity: '-2',
        marketValue: '-812',
      }),
      expect.objectContaining({
        symbol: 'SWVXX',
        assetType: 'cash_equivalent',
        quantity: '1523.07',
      }),
    ]);
    expect(cash.positions.map((p) => [p.assetType, p.quantity])).toEqual([
      ['mutual_fund', '104.33512'],
      ['fixed_income', '10'],
    ]);
  });

  it('maps each transaction shape; PENDING ones wait for a later sync', () => {
    const mapped = mapSchwabTransactions(parseLosslessJson(fixture('transactions.json')));
    expect(mapped.map((t) => [t.type, t.symbol, t.quantity, t.price, t.amount])).toEqual([
      ['trade', 'AAPL', '20', '187.341', '-3746.83'],
      ['dividend', 'AAPL', null, null, '5.2'],
      ['interest', null, null, null, '0.37'],
      ['transfer', null, null, null, '2500'],
      ['fee', null, null, null, '-0.05'],
      ['trade', 'SPY', '-2.5', '401.52', '1003.77'],
      ['transfer', null, null, null, '-1000'],
    ]);
    // activityId is beyond 2^53: a float would have changed its last digits.
    expect(mapped[0]).toMatchObject({
      externalId: '95512265692123456',
      date: '2025-04-23',
      settlementDate: '2025-04-24',
      description: 'TRADE',
      currency: 'USD',
    });
    expect(mapped[1].settlementDate).toBeNull();
  });

  it.each([
    [
      'an account without a hashValue',
      () => mapSchwabAccounts([], accounts()),
      '$[0].securitiesAccount.accountNumber',
    ],
    [
      'a non-numeric balance',
      () =>
        mapSchwabAccounts(
          numbers(),
          patch(accounts(), (a) => (a[0].securitiesAccount.currentBalances.cashBalance = 'lots')),
        ),
      '$[0].securitiesAccount.currentBalances.cashBalance',
    ],
    [
      'a position without a symbol',
      () =>
        mapSchwabAccounts(
          numbers(),
          patch(accounts(), (a) => delete a[1].securitiesAccount.positions[0].instrument.symbol),
        ),
      '$[1].securitiesAccount.positions[0].instrument.symbol',
    ],
    ['an object instead of a list', () => mapSchwabTransactions({}), '$'],
    [
      'a bad trade date',
      () =>
        mapSchwabTransactions(
          parseLosslessJson(
            '[{"activityId":1,"status":"VALID","type":"TRADE","tradeDate":"2025-02-30T00:00:00+0000","netAmount":1}]',
          ),
        ),
      '$[0].tradeDate',
    ],
  ])('rejects %s as a whole, naming the path', (_name, run, path) => {
    expect(run).toThrow(BrokeragePayloadError);
    expect(run).toThrow(`brokerage payload rejected at ${path}`);
  });

  it('maps the remaining account, asset and transaction kinds', () => {
    const numbers = [{ accountNumber: '11112222', hashValue: 'H' }];
    const positions = [
      ['EQUITY', 'EXCHANGE_TRADED_FUND', 'etf'],
      ['ETF', null, 'etf'],
      ['COLLECTIVE_INVESTMENT', 'CLOSED_END_FUND', 'other'],
      ['FUTURE', null, 'other'],
    ].map(([assetType, type]) => ({
      longQuantity: 1,
      marketValue: 1,
      instrument: { assetType, type, symbol: 'S' },
    }));
    const [ira] = mapSchwabAccounts(
      numbers,
      parseLosslessJson(
        JSON.stringify([
          {
            securitiesAccount: {
              type: 'IRA',
              accountNumber: '11112222',
              positions,
              currentBalances: { cashBalance: 0, liquidationValue: 4 },
            },
          },
        ]),
      ),
    );
    expect(ira).toMatchObject({
      name: 'Schwab Brokerage …2222',
      type: 'ira',
      cash: '0',
      marketValue: '4',
    });
    expect(ira.positions.map((x) => x.assetType)).toEqual(['etf', 'etf', 'other', 'other']);
    const txs = mapSchwabTransactions(
      parseLosslessJson(
        JSON.stringify([
          {
            activityId: 1,
            status: 'VALID',
            type: 'RECEIVE_AND_DELIVER',
            tradeDate: '2025-01-02',
            netAmount: 0,
            transferItems: [{ instrument: { assetType: 'EQUITY', symbol: 'KO' }, amount: 5 }],
          },
          {
            activityId: 2,
            status: 'VALID',
            type: 'MEMORANDUM',
            tradeDate: '2025-01-03',
            netAmount: 0,
          },
          {
            activityId: 3,
            status: 'VALID',
            type: 'DIVIDEND_OR_INTEREST',
            tradeDate: '2025-01-04',
            netAmount: 1,
          },
        ]),
      ),
    );
    expect(txs.map((t) => [t.type, t.symbol, t.quantity, t.description])).toEqual([
      ['transfer', 'KO', null, 'RECEIVE_AND_DELIVER'],
      ['other', null, null, 'MEMORANDUM'],
      ['dividend', null, null, 'DIVIDEND_OR_INTEREST'],
    ]);
    expect(() => mapSchwabAccounts([{ accountNumber: '12-34', hashValue: 'H' }], [])).toThrow(
      'rejected at $[0].accountNumber',
    );
  });

  it('rejects text that is not JSON', () => {
    expect(() => parseLosslessJson('<html>')).toThrow(BrokeragePayloadError);
  });
});

function patch(value: unknown, edit: (v: any) => unknown): unknown {
  edit(value);
  return value;
}

import { addDecimals } from '../../../common/decimal';
import { sandboxAccounts, sandboxPositions, sandboxTransactions } from './sandbox-portfolio';

const CONN = '0b6c7a52-3f0e-4a43-9d1c-2f5d8e9a1b7c';
const NOW = new Date('2026-06-15T10:20:00Z');

describe('sandbox portfolio', () => {
  it('is deterministic per connection: 2-3 accounts, twelve positions, totals that add up exactly', () => {
    const a = sandboxAccounts(CONN, NOW);
    expect(sandboxAccounts(CONN, NOW)).toEqual(a);
    expect(a.length).toBeGreaterThanOrEqual(2);
    expect(a.length).toBeLessThanOrEqual(3);
    expect(a.flatMap((x) => x.holdings)).toHaveLength(12);
    for (const account of a) {
      const mv = addDecimals('0', ...sandboxPositions(account, NOW).map((p) => p.marketValue));
      expect(account.marketValue).toBe(mv);
      expect(account.total).toBe(addDecimals(account.cash, mv));
    }
    expect(sandboxAccounts('another-connection', NOW)[0].externalId).not.toBe(a[0].externalId);
  });

  it('moves prices between hours, not within one', () => {
    const [account] = sandboxAccounts(CONN, NOW);
    const at = (iso: string) => sandboxPositions(account, new Date(iso)).map((p) => p.marketValue);
    expect(at('2026-06-15T10:59:00Z')).toEqual(at('2026-06-15T10:00:00Z'));
    expect(at('2026-06-15T13:00:00Z')).not.toEqual(at('2026-06-15T10:00:00Z'));
  });

  it('has a year of trades, dividends, transfers, fees and interest; stable ids per day; nothing after now', () => {
    const [account] = sandboxAccounts(CONN, NOW);
    const year = sandboxTransactions(account, '2025-06-15', '2026-12-31', NOW);
    expect(new Set(year.map((t) => t.type))).toEqual(
      new Set(['trade', 'dividend', 'transfer', 'fee', 'interest']),
    );
    expect(year.length).toBeGreaterThan(50);
    expect(year.every((t) => t.date <= '2026-06-15')).toBe(true);
    expect(new Set(year.map((t) => t.externalId)).size).toBe(year.length);
    const window = sandboxTransactions(account, '2026-03-01', '2026-03-31', NOW);
    expect(window).toEqual(year.filter((t) => t.date >= '2026-03-01' && t.date <= '2026-03-31'));
  });
});

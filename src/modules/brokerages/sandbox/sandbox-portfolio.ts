import { createHash } from 'node:crypto';
import { addDecimals, multiplyDecimals } from '../../../common/decimal';
import type {
  AssetType,
  BrokerageAccountData,
  PositionData,
  TransactionData,
} from '../brokerage-data.adapter';

interface Security {
  symbol: string;
  description: string;
  assetType: AssetType;
  cents: number;
  dividendCents: number;
}

const UNIVERSE: Security[] = [
  {
    symbol: 'AAPL',
    description: 'Apple Inc.',
    assetType: 'equity',
    cents: 19_250,
    dividendCents: 25,
  },
  {
    symbol: 'MSFT',
    description: 'Microsoft Corp.',
    assetType: 'equity',
    cents: 41_520,
    dividendCents: 83,
  },
  {
    symbol: 'JNJ',
    description: 'Johnson & Johnson',
    assetType: 'equity',
    cents: 15_410,
    dividendCents: 124,
  },
  {
    symbol: 'KO',
    description: 'Coca-Cola Co.',
    assetType: 'equity',
    cents: 6_230,
    dividendCents: 51,
  },
  {
    symbol: 'NVDA',
    description: 'NVIDIA Corp.',
    assetType: 'equity',
    cents: 12_180,
    dividendCents: 1,
  },
  {
    symbol: 'VTI',
    description: 'Vanguard Total Stock Market ETF',
    assetType: 'etf',
    cents: 27_340,
    dividendCents: 95,
  },
  {
    symbol: 'SCHD',
    description: 'Schwab US Dividend Equity ETF',
    assetType: 'etf',
    cents: 2_790,
    dividendCents: 26,
  },
  {
    symbol: 'BND',
    description: 'Vanguard Total Bond Market ETF',
    assetType: 'etf',
    cents: 7_260,
    dividendCents: 21,
  },
  {
    symbol: 'SWPPX',
    description: 'Schwab S&P 500 Index Fund',
    assetType: 'mutual_fund',
    cents: 8_160,
    dividendCents: 0,
  },
  {
    symbol: 'VFIAX',
    description: 'Vanguard 500 Index Admiral',
    assetType: 'mutual_fund',
    cents: 50_120,
    dividendCents: 0,
  },
  {
    symbol: '912797LB1',
    description: 'US Treasury Bill 0% 06/2026',
    assetType: 'fixed_income',
    cents: 9_812,
    dividendCents: 0,
  },
  {
    symbol: 'SWVXX',
    description: 'Schwab Value Advantage Money Fund',
    assetType: 'cash_equivalent',
    cents: 100,
    dividendCents: 0,
  },
];

const ACCOUNT_KINDS = [
  { type: 'individual', name: 'Sandbox Individual Brokerage' },
  { type: 'roth_ira', name: 'Sandbox Roth IRA' },
  { type: 'joint', name: 'Sandbox Joint Account' },
];

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

interface Holding {
  security: Security;
  quantity: string;
  averagePrice: string;
}

export interface SandboxAccount extends BrokerageAccountData {
  holdings: Holding[];
  seed: number;
}

// Derived from a hash of the connection id and the injected clock, never Math.random: a re-sync in the same
// hour sees the same values, prices move hourly, and each past day always holds the same transactions.
export function sandboxAccounts(connectionId: string, now: Date): SandboxAccount[] {
  const seed = seedOf(connectionId);
  const rand = prng(seed);
  const count = 2 + (seed % 2);
  const accounts: SandboxAccount[] = [];
  for (let a = 0; a < count; a++) {
    const holdings: Holding[] = UNIVERSE.filter((_, i) => i % count === a).map((security) => {
      const fund = security.assetType === 'mutual_fund' || security.assetType === 'cash_equivalent';
      const thousandths = fund
        ? 10_000 + Math.floor(rand() * 900_000)
        : (5 + Math.floor(rand() * 200)) * 1000;
      const avgCents = Math.round(security.cents * (0.7 + rand() * 0.4));
      return { security, quantity: milli(thousandths), averagePrice: cents(avgCents) };
    });
    const cash = cents(50_000 + Math.floor(rand() * 5_000_000));
    const positions = holdings.map((h) => position(h, now, seed + a));
    const marketValue = addDecimals('0', ...positions.map((p) => p.marketValue));
    const last4 = String(1000 + ((seed >>> (a * 3)) % 9000));
    accounts.push({
      externalId: `sbx-${connectionId.slice(0, 8)}-${a + 1}`,
      name: ACCOUNT_KINDS[a].name,
      type: ACCOUNT_KINDS[a].type,
      numberLast4: last4,
      currency: 'USD',
      cash,
      marketValue,
      total: addDecimals(cash, marketValue),
      apiHandle: `sbx-handle-${a + 1}`,
      holdings,
      seed: seed + a,
    });
  }
  return accounts;
}

export function sandboxPositions(account: SandboxAccount, now: Date): PositionData[] {
  return account.holdings.map((h) => position(h, now, account.seed));
}

export function sandboxTransactions(
  account: SandboxAccount,
  from: string,
  to: string,
  now: Date,
): TransactionData[] {
  const out: TransactionData[] = [];
  const last = Math.min(Date.parse(`${to}T00:00:00Z`), Math.floor(now.getTime() / DAY_MS) * DAY_MS);
  for (let day = Date.parse(`${from}T00:00:00Z`); day <= last; day += DAY_MS) {
    const date = new Date(day).toISOString().slice(0, 10);
    const dom = new Date(day).getUTCDate();
    const dayNo = Math.floor(day / DAY_MS);
    const rand = prng(account.seed * 7919 + dayNo);
    const tx = (n: number, t: Omit<TransactionData, 'externalId' | 'date' | 'currency'>) =>
      out.push({ externalId: `${account.externalId}-${date}-${n}`, date, currency: 'USD', ...t });
    if (dom === 1) {
      tx(1, {
        type: 'transfer',
        settlementDate: date,
        description: 'ACH deposit',
        symbol: null,
        quantity: null,
        price: null,
        amount: '500.00',
      });
    }
    if (dom === 15) {
      tx(2, {
        type: 'fee',
        settlementDate: date,
        description: 'Account maintenance fee',
        symbol: null,
        quantity: null,
        price: null,
        amount: '-1.25',
      });
    }
    if (dom === 28) {
      const interest = cents(5 + Math.floor(rand() * 900));
      tx(3, {
        type: 'interest',
        settlementDate: date,
        description: 'Cash sweep interest',
        symbol: null,
        quantity: null,
        price: null,
        amount: interest,
      });
    }
    account.holdings.forEach((h, i) => {
      if (h.security.dividendCents > 0 && dayNo % 91 === (account.seed + i * 13) % 91) {
        const amount = multiplyDecimals(h.quantity, cents(h.security.dividendCents), 2);
        tx(10 + i, {
          type: 'dividend',
          settlementDate: date,
          description: `Qualified dividend ${h.security.symbol}`,
          symbol: h.security.symbol,
          quantity: null,
          price: null,
          amount,
        });
      }
    });
    if (rand() < 0.07) {
      const h = account.holdings[Math.floor(rand() * account.holdings.length)];
      const buy = rand() < 0.6;
      const qty = String(1 + Math.floor(rand() * 10));
      const price = priceAt(h.security, new Date(day + 15 * HOUR_MS), account.seed);
      const gross = multiplyDecimals(qty, price, 2);
      const settle = new Date(day + DAY_MS).toISOString().slice(0, 10);
      tx(4, {
        type: 'trade',
        settlementDate: settle,
        description: `${buy ? 'Bought' : 'Sold'} ${qty} ${h.security.symbol}`,
        symbol: h.security.symbol,
        quantity: buy ? qty : `-${qty}`,
        price,
        amount: buy ? `-${gross}` : gross,
      });
    }
  }
  return out;
}

function position(h: Holding, now: Date, seed: number): PositionData {
  const price = priceAt(h.security, now, seed);
  return {
    symbol: h.security.symbol,
    description: h.security.description,
    assetType: h.security.assetType,
    quantity: h.quantity,
    averagePrice: h.averagePrice,
    marketValue: multiplyDecimals(h.quantity, price, 2),
    currency: 'USD',
  };
}

export function priceAt(security: Security, at: Date, seed: number): string {
  if (security.assetType === 'cash_equivalent') return cents(security.cents);
  const hours = Math.floor(at.getTime() / HOUR_MS);
  const phase = (seed % 360) / 57.3 + security.cents;
  const swing =
    0.06 * Math.sin((2 * Math.PI * hours) / (24 * 30) + phase) +
    0.01 * Math.sin(hours * 1.7 + phase);
  return cents(Math.max(1, Math.round(security.cents * (1 + swing))));
}

function seedOf(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

// mulberry32: deterministic, not for secrets.
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function cents(n: number): string {
  return `${Math.floor(n / 100)}.${String(n % 100).padStart(2, '0')}`;
}

function milli(n: number): string {
  return addDecimals(`${Math.floor(n / 1000)}.${String(n % 1000).padStart(3, '0')}`);
}

import type { SyncSettings } from '../../../config/sync.config';
import type {
  BrokerageAccountData,
  BrokerageDataAdapter,
  DataRequest,
  PositionData,
  TransactionData,
} from '../brokerage-data.adapter';
import { BrokerageError } from '../brokerage-data.adapter';
import { parseLosslessJson } from '../payload';
import type { SchwabAccountData } from './schwab-data.mapper';
import { mapSchwabAccounts, mapSchwabTransactions } from './schwab-data.mapper';

const TRANSACTION_TYPES = [
  'TRADE',
  'RECEIVE_AND_DELIVER',
  'DIVIDEND_OR_INTEREST',
  'ACH_RECEIPT',
  'ACH_DISBURSEMENT',
  'CASH_RECEIPT',
  'CASH_DISBURSEMENT',
  'ELECTRONIC_FUND',
  'WIRE_OUT',
  'WIRE_IN',
  'JOURNAL',
  'MEMORANDUM',
  'MARGIN_CALL',
  'MONEY_MARKET',
  'SMA_ADJUSTMENT',
].join(',');
/** Schwab answers at most a year of transactions per request. */
const MAX_WINDOW_DAYS = 365;
const DAY_MS = 86_400_000;

export class SchwabDataAdapter implements BrokerageDataAdapter {
  readonly key = 'schwab';

  constructor(
    private readonly settings: Pick<SyncSettings, 'schwabApiBaseUrl' | 'requestTimeoutMs'>,
  ) {}

  async listAccounts(request: DataRequest): Promise<SchwabAccountData[]> {
    const numbers = await this.get(request, '/trader/v1/accounts/accountNumbers');
    const accounts = await this.get(request, '/trader/v1/accounts?fields=positions');
    return mapSchwabAccounts(numbers, accounts);
  }

  async getPositions(
    _request: DataRequest,
    account: BrokerageAccountData,
  ): Promise<PositionData[]> {
    return (account as SchwabAccountData).positions ?? [];
  }

  async getTransactions(
    request: DataRequest,
    account: BrokerageAccountData,
    from: string,
    to: string,
  ): Promise<TransactionData[]> {
    const out: TransactionData[] = [];
    for (let start = Date.parse(`${from}T00:00:00Z`); start <= Date.parse(`${to}T00:00:00Z`);) {
      const end = Math.min(start + (MAX_WINDOW_DAYS - 1) * DAY_MS, Date.parse(`${to}T00:00:00Z`));
      const q = new URLSearchParams({
        startDate: `${iso(start)}T00:00:00.000Z`,
        endDate: `${iso(end)}T23:59:59.999Z`,
        types: TRANSACTION_TYPES,
      });
      const path = `/trader/v1/accounts/${encodeURIComponent(account.apiHandle)}/transactions?${q}`;
      out.push(...mapSchwabTransactions(await this.get(request, path)));
      start = end + DAY_MS;
    }
    return out;
  }

  // The status decides the failure kind before the body is read.
  private async get(request: DataRequest, path: string): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${this.settings.schwabApiBaseUrl}${path}`, {
        headers: { authorization: `Bearer ${request.accessToken}`, accept: 'application/json' },
        signal: AbortSignal.timeout(this.settings.requestTimeoutMs),
      });
    } catch (err) {
      throw classifyNetworkError(err);
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw statusError(response);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (err) {
      throw classifyNetworkError(err);
    }
    return parseLosslessJson(text);
  }
}

/** 401/403: the grant no longer reaches the data (re-authorise); 429: pause; anything else: retry later. */
export function statusError(response: Response): BrokerageError {
  const s = response.status;
  if (s === 401 || s === 403) return new BrokerageError('reauth_required', 'unauthorized', s);
  if (s === 429) {
    return new BrokerageError(
      'rate_limited',
      'rate_limited',
      s,
      response.headers.get('retry-after') ?? undefined,
    );
  }
  return new BrokerageError('temporary', s >= 500 ? 'brokerage_error' : 'brokerage_rejected', s);
}

function classifyNetworkError(err: unknown): BrokerageError {
  const name = (err as { name?: string })?.name;
  if (name === 'TimeoutError' || name === 'AbortError')
    return new BrokerageError('temporary', 'timeout');
  return new BrokerageError('temporary', 'connection_error');
}

function iso(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

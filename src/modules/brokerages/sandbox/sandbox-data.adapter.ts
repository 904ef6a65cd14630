import type { Clock } from '../../../common/clock';
import type { SandboxDataFailMode } from '../../../config/sync.config';
import type {
  BrokerageAccountData,
  BrokerageDataAdapter,
  DataRequest,
  PositionData,
  TransactionData,
} from '../brokerage-data.adapter';
import { BrokerageError, BrokeragePayloadError } from '../brokerage-data.adapter';
import type { SandboxAccount } from './sandbox-portfolio';
import { sandboxAccounts, sandboxPositions, sandboxTransactions } from './sandbox-portfolio';

// SANDBOX_DATA_FAIL simulates a refused token (401), a rate limit (429), an outage (500), or a malformed answer
// on the second account's transactions (a failure mid-sync).
export class SandboxDataAdapter implements BrokerageDataAdapter {
  readonly key = 'sandbox';

  constructor(
    private readonly clock: Clock,
    private readonly failMode: () => SandboxDataFailMode,
  ) {}

  async listAccounts(request: DataRequest): Promise<BrokerageAccountData[]> {
    this.check(request);
    return sandboxAccounts(request.connectionId, this.clock.now());
  }

  async getPositions(request: DataRequest, account: BrokerageAccountData): Promise<PositionData[]> {
    this.check(request);
    return sandboxPositions(account as SandboxAccount, this.clock.now());
  }

  async getTransactions(
    request: DataRequest,
    account: BrokerageAccountData,
    from: string,
    to: string,
  ): Promise<TransactionData[]> {
    this.check(request);
    if (this.failMode() === 'data_malformed' && account.externalId.endsWith('-2')) {
      throw new BrokeragePayloadError('$[0].netAmount');
    }
    return sandboxTransactions(account as SandboxAccount, from, to, this.clock.now());
  }

  private check(request: DataRequest): void {
    const mode = this.failMode();
    if (mode === 'data_401' || !request.accessToken.startsWith('sbx_at_')) {
      throw new BrokerageError('reauth_required', 'unauthorized', 401);
    }
    if (mode === 'data_429') throw new BrokerageError('rate_limited', 'rate_limited', 429, '60');
    if (mode === 'data_500') throw new BrokerageError('temporary', 'brokerage_error', 500);
  }
}

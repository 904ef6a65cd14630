import {
  BrokerageAdapter,
  BrokerageError,
  TokenSet,
} from '../../../src/modules/brokerages/brokerage-adapter';

/** A scriptable brokerage: each refresh pops the next scripted answer (a TokenSet or an error to throw). */
export class FakeAdapter implements BrokerageAdapter {
  readonly authType = 'oauth2' as const;
  readonly scopes = ['read'];
  readonly redirectUri = 'https://api.test/cb';
  refreshTokenLifetimeMs: number | null = 7 * 24 * 3600_000;
  ratePerMinute = 1000;
  enabled = true;
  supportsRevocation = true;
  readonly refreshCalls: string[] = [];
  readonly revokeCalls: Array<[string, string]> = [];
  script: Array<TokenSet | Error | (() => Promise<TokenSet>)> = [];
  revokeFails = false;

  constructor(
    readonly key = 'fake',
    readonly name = 'Fake brokerage',
  ) {}

  buildAuthorizationUrl(): string {
    return 'https://fake.test/authorize';
  }

  async exchangeCode(): Promise<TokenSet> {
    return { accessToken: 'at-exchange', refreshToken: 'rt-exchange', expiresIn: 1800 };
  }

  async refresh(refreshToken: string): Promise<TokenSet> {
    this.refreshCalls.push(refreshToken);
    const next = this.script.shift() ?? {
      accessToken: `at-${this.refreshCalls.length}`,
      expiresIn: 1800,
    };
    if (next instanceof Error) throw next;
    if (typeof next === 'function') return next();
    return next;
  }

  async revoke(token: string, hint: string): Promise<void> {
    this.revokeCalls.push([token, hint]);
    if (this.revokeFails) throw new BrokerageError('temporary', 'brokerage_error', 503);
  }

  classifyError(err: unknown): BrokerageError {
    return err instanceof BrokerageError
      ? err
      : new BrokerageError('temporary', 'unexpected_error');
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock } from '../../common/clock';
import type { AppConfig } from '../../config';
import { InjectConfig } from '../../config';
import { Transactions, Tx } from '../../database/transactions';
import type { TokenSet } from '../brokerages/brokerage-adapter';
import type { ConnectionStatus } from '../connections/connection-status';
import type { ConnectionRef } from '../connections/connections.service';
import { ProviderTokensRepository, TokenRow } from './provider-tokens.repository';
import { ConcurrencyCap } from './concurrency-cap';
import { GroupCommit } from './group-commit';
import { REFRESH_BUDGET } from './refresh-budget';
import type { RefreshBudget } from './refresh-budget';
import { RefreshClaims } from './refresh-claims';
import type { Claim, ClaimRequest } from './refresh-claims';
import { RefreshOutcomes } from './refresh-outcomes';
import type { RefreshOutcome, StoreRequest } from './refresh-outcomes';
import { TokenPolicy } from './token-policy';
import { TokenStore } from './token-store.service';
import type { TokenMetadata } from './token-store.service';
import { TokensError, TokensErrorCode } from './tokens.errors';

const LEASE_POLL_MS = 25;

export type { RefreshOutcome } from './refresh-outcomes';

interface Flight {
  force: boolean;
  promise: Promise<RefreshOutcome>;
}

// Single flight per connection in two layers: an in-process promise map, and a lease on the token row that
// other instances wait on without holding a connection. Failures are committed, never thrown out of a transaction.
@Injectable()
export class TokensService {
  private readonly inflight = new Map<string, Flight>();
  private readonly forcedBy = new ConcurrencyCap();
  private readonly claims = new GroupCommit<ClaimRequest, Claim>((requests) =>
    this.transactions.run((tx) => this.claimer.claim(tx.manager, requests)),
  );
  private readonly stores = new GroupCommit<StoreRequest, RefreshOutcome>((requests) =>
    this.transactions.run((tx) => this.outcomes.storeAll(tx.manager, requests)),
  );

  constructor(
    private readonly transactions: Transactions,
    private readonly repo: ProviderTokensRepository,
    private readonly store: TokenStore,
    private readonly policy: TokenPolicy,
    private readonly claimer: RefreshClaims,
    private readonly outcomes: RefreshOutcomes,
    private readonly clock: Clock,
    @InjectConfig() private readonly config: AppConfig,
    // Shared with the sweep, which only uses what is left.
    @Inject(REFRESH_BUDGET) readonly budget: RefreshBudget,
  ) {}

  async getValidAccessToken(connectionId: string): Promise<string> {
    const row = await this.repo.find(connectionId);
    this.assertUsable(row);
    if (
      row.accessTokenExpiresAt.getTime() - this.clock.now().getTime() >
      this.config.providers.refreshThresholdMs
    ) {
      return this.store.readAccessToken(row.id);
    }
    const outcome = await this.refresh(connectionId);
    if (outcome.result === 'failed') {
      // A temporary failure must not take away a token that still works.
      const stillWorks = row.accessTokenExpiresAt.getTime() > this.clock.now().getTime();
      if (!stillWorks || outcome.error!.code !== TokensErrorCode.BROKERAGE_UNAVAILABLE)
        throw outcome.error!;
    }
    return this.store.readAccessToken(row.id);
  }

  // With `userId`, at most `forcedRefreshesPerUser` of that user's connections wait on brokerages at once.
  async forceRefresh(connectionId: string, userId?: string): Promise<TokenMetadata> {
    const outcome = await this.refresh(connectionId, { force: true, userId });
    if (outcome.result === 'failed') throw outcome.error!;
    const meta = await this.getMetadata(connectionId);
    // Removed while the brokerage answered: the result was not stored.
    if (!meta) throw new TokensError(TokensErrorCode.NOT_CONNECTED);
    return meta;
  }

  // A forced caller that finds a non-forced flight which did nothing starts its own; only starting counts
  // against the user's cap.
  async refresh(
    connectionId: string,
    opts: { force?: boolean; userId?: string } = {},
  ): Promise<RefreshOutcome> {
    const force = opts.force ?? false;
    const existing = this.inflight.get(connectionId);
    if (existing) {
      const outcome = await existing.promise;
      if (!(force && !existing.force && outcome.result === 'fresh')) return outcome;
      return this.refresh(connectionId, opts);
    }
    const user = opts.userId;
    if (user && !this.forcedBy.tryEnter(user, this.config.providers.forcedRefreshesPerUser)) {
      return { result: 'failed', error: new TokensError(TokensErrorCode.TOO_MANY_REFRESHES) };
    }
    const startedAt = this.clock.now();
    const promise = this.refreshLocked(connectionId, force, startedAt).finally(() => {
      this.inflight.delete(connectionId);
      if (user) this.forcedBy.leave(user);
    });
    this.inflight.set(connectionId, { force, promise });
    return promise;
  }

  getMetadata(connectionId: string): Promise<TokenMetadata | null> {
    return this.store.getMetadata(connectionId);
  }

  storeFromExchange(
    manager: EntityManager,
    connection: ConnectionRef,
    tokens: TokenSet,
  ): Promise<ConnectionStatus> {
    return this.store.storeFromExchange(manager, connection, tokens);
  }

  destroy(tx: Tx, connectionId: string): Promise<void> {
    return this.store.destroy(tx, connectionId);
  }

  // Claim, call, store: the brokerage call runs with no transaction open, so a slow brokerage holds no pooled
  // connection; the lease makes it exclusive across instances and the result is written only if it is still ours.
  // Claims and stores of concurrent refreshes share transactions (group commit): one per batch, not per refresh.
  private async refreshLocked(
    connectionId: string,
    force: boolean,
    startedAt: Date,
  ): Promise<RefreshOutcome> {
    const waitUntil = Date.now() + this.config.providers.refreshLeaseMs;
    for (;;) {
      const claim = await this.claims.run({ connectionId, force, startedAt });
      if (claim.kind === 'done') return claim.outcome;
      if (claim.kind === 'call') return this.callAndStore(claim);
      if (Date.now() >= waitUntil)
        return { result: 'failed', error: TokensError.unavailable(claim.until, this.clock.now()) };
      await new Promise((resolve) => setTimeout(resolve, LEASE_POLL_MS));
    }
  }

  // Started after the claim committed: a claim that failed to commit leaves no call behind.
  private async callAndStore(claim: Extract<Claim, { kind: 'call' }>): Promise<RefreshOutcome> {
    const { adapter, connectionId, leaseId, secrets } = claim;
    const result = await adapter.refresh(secrets.refresh_token).then(
      (tokens) => ({ tokens }),
      (err: unknown) => ({ failure: adapter.classifyError(err) }),
    );
    return this.stores.run({ connectionId, leaseId, secrets, ...result });
  }

  private assertUsable(row: TokenRow | null): asserts row is TokenRow {
    const err = this.policy.unusableError(row);
    if (err) throw err;
  }
}

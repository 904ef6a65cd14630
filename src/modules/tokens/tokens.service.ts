import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { Clock } from '../../common/clock';
import type { AppConfig } from '../../config';
import { InjectConfig } from '../../config';
import { Transactions, Tx } from '../../database/transactions';
import { BROKERAGE_ADAPTERS, BrokerageError } from '../brokerages/brokerage-adapter';
import type { BrokerageAdapters, TokenSet } from '../brokerages/brokerage-adapter';
import type { ConnectionStatus } from '../connections/connection-status';
import type { ConnectionRef } from '../connections/connections.service';
import { ProviderTokensRepository, TokenRow } from './provider-tokens.repository';
import { ConcurrencyCap } from './concurrency-cap';
import { REFRESH_BUDGET } from './refresh-budget';
import type { RefreshBudget } from './refresh-budget';
import { RefreshOutcomes } from './refresh-outcomes';
import { TokenPolicy } from './token-policy';
import { TokenStore } from './token-store.service';
import type { TokenMetadata } from './token-store.service';
import { TokensError, TokensErrorCode } from './tokens.errors';

const LEASE_POLL_MS = 25;

// `shared`: another caller or instance refreshed while we waited; `failed`: state already recorded.
export interface RefreshOutcome {
  result: 'refreshed' | 'shared' | 'fresh' | 'failed';
  error?: TokensError;
  brokerageError?: BrokerageError;
}

type CallResult = { tokens?: TokenSet; failure?: BrokerageError };

type Claim =
  | { kind: 'done'; outcome: RefreshOutcome }
  | { kind: 'wait'; until: Date }
  | {
      kind: 'call';
      connectionId: string;
      leaseId: string;
      call: Promise<CallResult>;
      secrets: Record<string, string>;
    };

interface Flight {
  force: boolean;
  promise: Promise<RefreshOutcome>;
}

// Single flight per connection in two layers: an in-process promise map, and a lease on the token row that
// other instances wait on without holding a connection. Failures are committed, never thrown out of a transaction.
@Injectable()
export class TokensService {
  private readonly logger = new Logger('Tokens');
  private readonly inflight = new Map<string, Flight>();
  private readonly forcedBy = new ConcurrencyCap();

  constructor(
    private readonly transactions: Transactions,
    private readonly repo: ProviderTokensRepository,
    private readonly store: TokenStore,
    private readonly policy: TokenPolicy,
    private readonly outcomes: RefreshOutcomes,
    private readonly clock: Clock,
    @InjectConfig() private readonly config: AppConfig,
    @Inject(BROKERAGE_ADAPTERS) private readonly adapters: BrokerageAdapters,
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
  private async refreshLocked(
    connectionId: string,
    force: boolean,
    startedAt: Date,
  ): Promise<RefreshOutcome> {
    const waitUntil = Date.now() + this.config.providers.refreshLeaseMs;
    for (;;) {
      const claim = await this.transactions.run((tx) =>
        this.claim(tx.manager, connectionId, force, startedAt),
      );
      if (claim.kind === 'done') return claim.outcome;
      if (claim.kind === 'call') return this.callAndStore(claim);
      if (Date.now() >= waitUntil)
        return { result: 'failed', error: TokensError.unavailable(claim.until, this.clock.now()) };
      await new Promise((resolve) => setTimeout(resolve, LEASE_POLL_MS));
    }
  }

  private async claim(
    m: EntityManager,
    connectionId: string,
    force: boolean,
    startedAt: Date,
  ): Promise<Claim> {
    const done = (outcome: RefreshOutcome): Claim => ({ kind: 'done', outcome });
    // Connection row first, then the token row: the order DELETE and the OAuth completion use.
    await this.repo.lockConnection(m, connectionId);
    const row = await this.repo.lock(m, connectionId);
    const unusable = this.policy.unusableError(row);
    if (unusable) return done({ result: 'failed', error: unusable });
    const r = row!;
    const now = this.clock.now();
    if (r.lastRefreshedAt && r.lastRefreshedAt.getTime() >= startedAt.getTime())
      return done({ result: 'shared' });
    const cooldown = this.config.providers.forcedRefreshCooldownMs;
    if (force && r.lastRefreshedAt && now.getTime() - r.lastRefreshedAt.getTime() < cooldown)
      return done({ result: 'shared' });
    if (r.refreshLeaseUntil && r.refreshLeaseUntil.getTime() > now.getTime())
      return { kind: 'wait', until: r.refreshLeaseUntil };
    const due = this.policy.nextDue(r.accessTokenExpiresAt, now);
    if (!force && !this.policy.needsRefresh(r, now)) {
      // A sweeper's lease moved refresh_due_at forward; put it back where it belongs.
      if (r.refreshDueAt?.getTime() !== due.getTime())
        await this.repo.update(m, r.id, { refreshDueAt: due });
      return done({ result: 'fresh' });
    }
    // The hard end first: backing off cannot help an expired refresh token (409, not 503).
    if (r.refreshTokenExpiresAt && r.refreshTokenExpiresAt.getTime() <= now.getTime()) {
      return done(
        await this.outcomes.requireReauth(
          m,
          r,
          new BrokerageError('reauth_required', 'refresh_token_expired'),
          now,
        ),
      );
    }
    if (r.nextAttemptAt && r.nextAttemptAt.getTime() > now.getTime()) {
      if (r.refreshDueAt?.getTime() !== r.nextAttemptAt.getTime())
        await this.repo.update(m, r.id, { refreshDueAt: r.nextAttemptAt });
      return done({ result: 'failed', error: TokensError.unavailable(r.nextAttemptAt, now) });
    }
    const secrets = await this.store.readSecrets(m, r.id);
    const adapter = this.adapters.get(r.providerKey);
    if (!secrets.refresh_token || !adapter) {
      const code = adapter ? 'no_refresh_token' : 'provider_unavailable';
      return done(
        await this.outcomes.requireReauth(m, r, new BrokerageError('reauth_required', code), now),
      );
    }
    // Forced calls count too; one user's get at most their share, so they cannot starve everyone else.
    const p = this.config.providers;
    const share = force
      ? {
          key: `${r.providerKey}:user:${r.userId}`,
          perWindow: Math.max(1, Math.floor(adapter.ratePerMinute * p.userRateShare)),
        }
      : undefined;
    const refused = await this.budget.acquire(r.providerKey, adapter.ratePerMinute, now, share);
    if (refused)
      return done({ result: 'failed', error: TokensError.unavailable(refused.retryAt, now) });
    // Started under the row lock, before the lease is written: no other claimer can read the row until it commits.
    const call = adapter.refresh(secrets.refresh_token).then(
      (tokens): CallResult => ({ tokens }),
      (err: unknown): CallResult => ({ failure: adapter.classifyError(err) }),
    );
    const leaseId = randomUUID();
    const leaseUntil = new Date(now.getTime() + this.config.providers.refreshLeaseMs);
    await this.repo.update(m, r.id, { refreshLeaseId: leaseId, refreshLeaseUntil: leaseUntil });
    return { kind: 'call', connectionId, leaseId, call, secrets };
  }

  private async callAndStore(claim: Extract<Claim, { kind: 'call' }>): Promise<RefreshOutcome> {
    const { tokens, failure } = await claim.call;
    return this.transactions.run(async ({ manager: m }) => {
      const r = await this.repo.lockClaimed(m, claim.connectionId, claim.leaseId);
      // The lease lapsed (someone else may have refreshed since) or the connection was removed: keep theirs.
      if (!r) return { result: 'shared' };
      const now = this.clock.now();
      if (failure) {
        return failure.kind === 'reauth_required'
          ? this.outcomes.requireReauth(m, r, failure, now)
          : this.outcomes.recordTemporaryFailure(m, r, failure, now);
      }
      await this.outcomes.applyRefreshed(m, r, claim.secrets, tokens!, now);
      return { result: 'refreshed' };
    });
  }

  private assertUsable(row: TokenRow | null): asserts row is TokenRow {
    const err = this.policy.unusableError(row);
    if (err) throw err;
  }
}

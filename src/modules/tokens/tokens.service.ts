import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { Clock } from '../../common/clock';
import type { AppConfig } from '../../config';
import { InjectConfig } from '../../config';
import { Transactions, Tx } from '../../database/transactions';
import { EncryptionService } from '../encryption/encryption.service';
import { BROKERAGE_ADAPTERS, BrokerageError } from '../brokerages/brokerage-adapter';
import type { BrokerageAdapters, TokenSet } from '../brokerages/brokerage-adapter';
import type { ConnectionStatus } from '../connections/connection-status';
import { ConnectionsService } from '../connections/connections.service';
import type { ConnectionRef } from '../connections/connections.service';
import { backoffDelayMs, parseRetryAfterMs, RANDOM } from './backoff';
import type { RandomSource } from './backoff';
import { ProviderTokensRepository, TokenRow } from './provider-tokens.repository';
import { ConcurrencyCap } from './concurrency-cap';
import { REFRESH_BUDGET } from './refresh-budget';
import type { RefreshBudget } from './refresh-budget';
import { TokensError, TokensErrorCode } from './tokens.errors';

/** Owner type of the token secrets in the encryption module; owner id = the provider_tokens row id. */
export const TOKEN_SECRET_OWNER = 'provider_token';
const DEFAULT_ACCESS_TTL_S = 1800;
/** How often a caller looks again while another instance holds the refresh lease of the same connection. */
const LEASE_POLL_MS = 25;
const NO_LEASE = { refreshLeaseId: null, refreshLeaseUntil: null };

export interface TokenMetadata {
  accessTokenExpiresAt: string;
  refreshTokenExpiresAt: string | null;
  lastRefreshedAt: string | null;
  refreshCount: number;
  scopes: string[];
}

/**
 * `refreshed`: this call refreshed; `shared`: another caller or instance refreshed while we waited for the lock;
 * `fresh`: nothing to do; `failed`: see `error` (state already recorded).
 */
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

/**
 * Encrypted storage and freshness of brokerage tokens.
 *
 * Single-flight per connection, two layers: an in-process promise map (concurrent callers in this instance
 * share one promise, hence one brokerage call) and the token row's `FOR UPDATE` lock held for the duration of
 * the brokerage call (other instances queue on it, then see `last_refreshed_at` moved past the moment they
 * started and reuse the result). Failures are recorded in the same transaction and committed, never thrown out
 * of it, and the stored tokens are replaced only after the brokerage answered with new ones.
 */
@Injectable()
export class TokensService {
  private readonly logger = new Logger('Tokens');
  private readonly inflight = new Map<string, Flight>();
  /** Flights started by forced refreshes, per user (this instance). */
  private readonly forcedBy = new ConcurrencyCap();

  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly repo: ProviderTokensRepository,
    private readonly connections: ConnectionsService,
    private readonly encryption: EncryptionService,
    private readonly clock: Clock,
    @InjectConfig() private readonly config: AppConfig,
    @Inject(BROKERAGE_ADAPTERS) private readonly adapters: BrokerageAdapters,
    @Inject(RANDOM) private readonly random: RandomSource,
    /** Token-endpoint calls per brokerage (shared with the sweep, which only uses what is left). */
    @Inject(REFRESH_BUDGET) readonly budget: RefreshBudget,
  ) {}

  /**
   * A usable access token for data fetching. Hot path (more than 5 minutes left): one row read and one
   * decryption. Otherwise a single-flight refresh; if that fails temporarily while the current token still
   * works, the current token is returned.
   */
  async getValidAccessToken(connectionId: string): Promise<string> {
    const row = await this.repo.find(connectionId);
    this.assertUsable(row);
    if (
      row.accessTokenExpiresAt.getTime() - this.clock.now().getTime() >
      this.config.providers.refreshThresholdMs
    ) {
      return this.readAccessToken(row.id);
    }
    const outcome = await this.refresh(connectionId);
    if (outcome.result === 'failed') {
      // A temporary failure must not take away a token that still works.
      const stillWorks = row.accessTokenExpiresAt.getTime() > this.clock.now().getTime();
      if (!stillWorks || outcome.error!.code !== TokensErrorCode.BROKERAGE_UNAVAILABLE)
        throw outcome.error!;
    }
    return this.readAccessToken(row.id);
  }

  /**
   * Forced refresh for the API: concurrent calls share one brokerage call; failures are thrown as TokensError.
   * With `userId`, at most `forcedRefreshesPerUser` of that user's connections wait on brokerages at once.
   */
  async forceRefresh(connectionId: string, userId?: string): Promise<TokenMetadata> {
    const outcome = await this.refresh(connectionId, { force: true, userId });
    if (outcome.result === 'failed') throw outcome.error!;
    const meta = await this.getMetadata(connectionId);
    // Removed while the brokerage answered: the result was not stored.
    if (!meta) throw new TokensError(TokensErrorCode.NOT_CONNECTED);
    return meta;
  }

  /**
   * Single-flight refresh. A forced caller that finds a non-forced flight which did nothing starts its own.
   * Joining a flight is free; starting one on behalf of `userId` counts against that user's cap.
   */
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

  async getMetadata(connectionId: string): Promise<TokenMetadata | null> {
    const row = await this.repo.find(connectionId);
    if (!row) return null;
    return {
      accessTokenExpiresAt: row.accessTokenExpiresAt.toISOString(),
      refreshTokenExpiresAt: row.refreshTokenExpiresAt?.toISOString() ?? null,
      lastRefreshedAt: row.lastRefreshedAt?.toISOString() ?? null,
      refreshCount: row.refreshCount,
      scopes: row.scopes,
    };
  }

  /**
   * Stores the tokens of a completed code exchange inside the caller's transaction (new connection or
   * re-authorisation: the same row and secrets owner are reused). Returns the status the connection should take.
   */
  async storeFromExchange(
    manager: EntityManager,
    connection: ConnectionRef,
    tokens: TokenSet,
  ): Promise<ConnectionStatus> {
    const now = this.clock.now();
    const adapter = this.adapters.get(connection.providerKey);
    const accessExp = new Date(now.getTime() + (tokens.expiresIn ?? DEFAULT_ACCESS_TTL_S) * 1000);
    const rtLifetimeMs =
      tokens.refreshTokenExpiresIn !== undefined
        ? tokens.refreshTokenExpiresIn * 1000
        : adapter?.refreshTokenLifetimeMs;
    const refreshExp = rtLifetimeMs ? new Date(now.getTime() + rtLifetimeMs) : null;
    const fields = {
      providerKey: connection.providerKey,
      accessTokenExpiresAt: accessExp,
      refreshTokenExpiresAt: refreshExp,
      obtainedAt: now,
      lastRefreshedAt: null,
      refreshCount: 0,
      scopes: tokens.scopes ?? [...(adapter?.scopes ?? [])],
      refreshDueAt: this.nextDue(accessExp, now),
      failureCount: 0,
      nextAttemptAt: null,
      lastErrorCode: null,
      ...NO_LEASE,
      updatedAt: now,
    };
    const existing = await this.repo.lock(manager, connection.id);
    let tokenId: string;
    if (existing) {
      tokenId = existing.id;
      await this.encryption.deleteSecrets(manager, TOKEN_SECRET_OWNER, tokenId);
      await this.repo.update(manager, tokenId, fields);
    } else {
      tokenId = await this.repo.insert(manager, {
        ...fields,
        connectionId: connection.id,
        createdAt: now,
      });
    }
    await this.storeSecrets(
      manager,
      tokenId,
      tokens.accessToken,
      tokens.refreshToken,
      tokens.idToken,
    );
    await this.connections.recordEvent(manager, connection.id, 'token_stored', {
      accessTokenExpiresAt: accessExp.toISOString(),
      refreshTokenExpiresAt: refreshExp?.toISOString() ?? null,
      reauthorisation: existing !== null,
    });
    return this.statusAfterSuccess(refreshExp, now);
  }

  /**
   * Destroys a connection's tokens inside the caller's transaction; after COMMIT, revokes the refresh token at
   * the brokerage when it supports revocation (best effort: a failure is logged, never surfaced).
   */
  async destroy(tx: Tx, connectionId: string): Promise<void> {
    const row = await this.repo.lock(tx.manager, connectionId);
    if (!row) return;
    const secrets = await this.encryption.readSecrets(tx.manager, TOKEN_SECRET_OWNER, row.id);
    await this.encryption.deleteSecrets(tx.manager, TOKEN_SECRET_OWNER, row.id);
    await this.repo.delete(tx.manager, row.id);
    await this.connections.recordEvent(tx.manager, connectionId, 'token_destroyed');
    const adapter = this.adapters.get(row.providerKey);
    const token = secrets.refresh_token ?? secrets.access_token;
    if (adapter?.supportsRevocation && token) {
      const hint = secrets.refresh_token ? 'refresh_token' : 'access_token';
      tx.afterCommit(async () => {
        try {
          await adapter.revoke(token, hint);
          await this.connections.recordEvent(
            this.dataSource.manager,
            connectionId,
            'token_revoked',
            { hint },
          );
        } catch (err) {
          this.logger.warn(
            { connectionId, code: adapter.classifyError(err).code },
            'token revocation failed (ignored)',
          );
        }
      });
    }
  }

  /**
   * Claim, call, store: the brokerage call runs with no transaction open, so a slow brokerage holds no pooled
   * connection. The claim (a lease on the token row, taken under the row lock in a short transaction) makes the
   * call exclusive across instances; the result is written only if that lease is still ours (compare-and-swap).
   */
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
      // Another instance is calling the brokerage for this connection: look again once it has written.
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
    const unusable = this.unusableError(row);
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
    const due = this.nextDue(r.accessTokenExpiresAt, now);
    if (!force && !this.needsRefresh(r, now)) {
      // A sweeper's lease moved refresh_due_at forward; put it back where it belongs.
      if (r.refreshDueAt?.getTime() !== due.getTime())
        await this.repo.update(m, r.id, { refreshDueAt: due });
      return done({ result: 'fresh' });
    }
    // The hard end first: backing off cannot help an expired refresh token (409, not 503).
    if (r.refreshTokenExpiresAt && r.refreshTokenExpiresAt.getTime() <= now.getTime()) {
      return done(
        await this.requireReauth(
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
    const secrets = await this.encryption.readSecrets(m, TOKEN_SECRET_OWNER, r.id);
    const adapter = this.adapters.get(r.providerKey);
    if (!secrets.refresh_token || !adapter) {
      const code = adapter ? 'no_refresh_token' : 'provider_unavailable';
      return done(await this.requireReauth(m, r, new BrokerageError('reauth_required', code), now));
    }
    // Every token-endpoint call counts against the brokerage's budget (paused after a 429), forced ones too;
    // one user's forced refreshes get at most their share of it, so they cannot starve everyone else.
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
    // Started under the row lock, before the lease is written: no other claimer can read the row until the
    // lease commits (moments later), and the call then runs on with no transaction open.
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
          ? this.requireReauth(m, r, failure, now)
          : this.recordTemporaryFailure(m, r, failure, now);
      }
      await this.applyRefreshed(m, r, claim.secrets, tokens!, now);
      return { result: 'refreshed' };
    });
  }

  private async applyRefreshed(
    m: EntityManager,
    r: TokenRow,
    old: Record<string, string>,
    tokens: TokenSet,
    now: Date,
  ): Promise<void> {
    const accessExp = new Date(now.getTime() + (tokens.expiresIn ?? DEFAULT_ACCESS_TTL_S) * 1000);
    // storeSecret replaces in place, inside this transaction: a failure before COMMIT keeps the old, working set.
    // Save a rotated refresh token when one is returned, but never extend the refresh token's hard end.
    await this.storeSecrets(
      m,
      r.id,
      tokens.accessToken,
      tokens.refreshToken ?? old.refresh_token,
      tokens.idToken ?? old.id_token,
    );
    const refreshCount = r.refreshCount + 1;
    await this.repo.update(m, r.id, {
      accessTokenExpiresAt: accessExp,
      lastRefreshedAt: now,
      refreshCount,
      scopes: tokens.scopes ?? r.scopes,
      refreshDueAt: this.nextDue(accessExp, now),
      failureCount: 0,
      nextAttemptAt: null,
      lastErrorCode: null,
      ...NO_LEASE,
      updatedAt: now,
    });
    await this.connections.recordEvent(m, r.connectionId, 'token_refreshed', {
      refreshCount,
      accessTokenExpiresAt: accessExp.toISOString(),
    });
    await this.changeStatus(m, r, this.statusAfterSuccess(r.refreshTokenExpiresAt, now), null, now);
  }

  private async recordTemporaryFailure(
    m: EntityManager,
    r: TokenRow,
    failure: BrokerageError,
    now: Date,
  ): Promise<RefreshOutcome> {
    const failureCount = r.failureCount + 1;
    const p = this.config.providers;
    let delay = backoffDelayMs(failureCount, p.backoffBaseMs, p.backoffMaxMs, this.random);
    const retryAfter = parseRetryAfterMs(failure.retryAfter, now);
    if (retryAfter !== undefined) delay = Math.max(delay, retryAfter);
    const nextAttemptAt = new Date(now.getTime() + delay);
    // A 429 speaks for the whole brokerage: stop calling it (sweep and API) until Retry-After.
    if (failure.kind === 'rate_limited') await this.budget.halt(r.providerKey, nextAttemptAt);
    await this.repo.update(m, r.id, {
      failureCount,
      nextAttemptAt,
      refreshDueAt: nextAttemptAt,
      lastErrorCode: failure.code,
      ...NO_LEASE,
      updatedAt: now,
    });
    await this.connections.recordEvent(m, r.connectionId, 'token_refresh_failed', {
      code: failure.code,
      kind: failure.kind,
      httpStatus: failure.status ?? null,
      failureCount,
      nextAttemptAt: nextAttemptAt.toISOString(),
    });
    await this.changeStatus(m, r, 'degraded', failure.code, now);
    this.logger.warn(
      { connectionId: r.connectionId, code: failure.code, failureCount },
      'token refresh failed temporarily',
    );
    return {
      result: 'failed',
      brokerageError: failure,
      error: TokensError.unavailable(nextAttemptAt, now),
    };
  }

  private async requireReauth(
    m: EntityManager,
    r: TokenRow,
    failure: BrokerageError,
    now: Date,
  ): Promise<RefreshOutcome> {
    await this.repo.update(m, r.id, {
      refreshDueAt: null,
      nextAttemptAt: null,
      lastErrorCode: failure.code,
      ...NO_LEASE,
      updatedAt: now,
    });
    await this.connections.recordEvent(m, r.connectionId, 'token_refresh_failed', {
      code: failure.code,
      kind: failure.kind,
      httpStatus: failure.status ?? null,
    });
    await this.changeStatus(m, r, 'reauth_required', failure.code, now);
    return {
      result: 'failed',
      brokerageError: failure,
      error: new TokensError(TokensErrorCode.REAUTH_REQUIRED),
    };
  }

  private async changeStatus(
    m: EntityManager,
    r: TokenRow,
    to: ConnectionStatus,
    reason: string | null,
    now: Date,
  ): Promise<void> {
    const ref: ConnectionRef = {
      id: r.connectionId,
      userId: r.userId,
      providerKey: r.providerKey,
      status: r.status,
    };
    await this.connections.transition(m, ref, to, reason, now);
  }

  private needsRefresh(r: TokenRow, now: Date): boolean {
    return (
      r.status === 'degraded' ||
      r.accessTokenExpiresAt.getTime() - now.getTime() <= this.config.providers.refreshThresholdMs
    );
  }

  /** Threshold before expiry, but never sooner than halfway to it (a token shorter-lived than the threshold). */
  private nextDue(accessExp: Date, now: Date): Date {
    const left = accessExp.getTime() - now.getTime();
    return new Date(
      now.getTime() +
        Math.max(left - this.config.providers.refreshThresholdMs, Math.floor(left / 2), 0),
    );
  }

  private statusAfterSuccess(refreshExp: Date | null, now: Date): ConnectionStatus {
    return refreshExp &&
      refreshExp.getTime() - now.getTime() <= this.config.providers.expiringWindowMs
      ? 'expiring'
      : 'active';
  }

  private async storeSecrets(
    m: EntityManager,
    tokenId: string,
    access: string,
    refresh?: string,
    idToken?: string,
  ): Promise<void> {
    const owner = (field: string) => ({ ownerType: TOKEN_SECRET_OWNER, ownerId: tokenId, field });
    // Sequential on purpose: one transaction, one connection.
    await this.encryption.storeSecret(m, owner('access_token'), access);
    if (refresh) await this.encryption.storeSecret(m, owner('refresh_token'), refresh);
    if (idToken) await this.encryption.storeSecret(m, owner('id_token'), idToken);
  }

  private async readAccessToken(tokenId: string): Promise<string> {
    const value = await this.encryption.readSecret(this.dataSource.manager, {
      ownerType: TOKEN_SECRET_OWNER,
      ownerId: tokenId,
      field: 'access_token',
    });
    if (!value) throw new TokensError(TokensErrorCode.NOT_CONNECTED);
    return value;
  }

  private assertUsable(row: TokenRow | null): asserts row is TokenRow {
    const err = this.unusableError(row);
    if (err) throw err;
  }

  private unusableError(row: TokenRow | null): TokensError | undefined {
    if (!row || row.status === 'pending_auth' || row.status === 'disconnected')
      return new TokensError(TokensErrorCode.NOT_CONNECTED);
    if (row.status === 'reauth_required') return new TokensError(TokensErrorCode.REAUTH_REQUIRED);
    return undefined;
  }
}

import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { AppConfig } from '../../config';
import { InjectConfig } from '../../config';
import type { BrokerageError, TokenSet } from '../brokerages/brokerage-adapter';
import type { ConnectionStatus } from '../connections/connection-status';
import { ConnectionsService } from '../connections/connections.service';
import type { ConnectionRef } from '../connections/connections.service';
import { backoffDelayMs, parseRetryAfterMs, RANDOM } from './backoff';
import type { RandomSource } from './backoff';
import { ProviderTokensRepository, TokenRow } from './provider-tokens.repository';
import { REFRESH_BUDGET } from './refresh-budget';
import type { RefreshBudget } from './refresh-budget';
import { TokenPolicy } from './token-policy';
import { NO_LEASE, TokenStore } from './token-store.service';
import { TokensError, TokensErrorCode } from './tokens.errors';
import type { RefreshOutcome } from './tokens.service';

/** What a finished refresh attempt writes, inside the caller's transaction: new tokens, a backoff, or reauth. */
@Injectable()
export class RefreshOutcomes {
  private readonly logger = new Logger('Tokens');

  constructor(
    private readonly repo: ProviderTokensRepository,
    private readonly store: TokenStore,
    private readonly policy: TokenPolicy,
    private readonly connections: ConnectionsService,
    @InjectConfig() private readonly config: AppConfig,
    @Inject(RANDOM) private readonly random: RandomSource,
    @Inject(REFRESH_BUDGET) private readonly budget: RefreshBudget,
  ) {}

  async applyRefreshed(
    m: EntityManager,
    r: TokenRow,
    old: Record<string, string>,
    tokens: TokenSet,
    now: Date,
  ): Promise<void> {
    const accessExp = this.policy.accessExpiry(tokens, now);
    // storeSecret replaces in place, inside this transaction: a failure before COMMIT keeps the old, working set.
    // Save a rotated refresh token when one is returned, but never extend the refresh token's hard end.
    await this.store.storeSecrets(
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
      refreshDueAt: this.policy.nextDue(accessExp, now),
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
    await this.changeStatus(
      m,
      r,
      this.policy.statusAfterSuccess(r.refreshTokenExpiresAt, now),
      null,
      now,
    );
  }

  async recordTemporaryFailure(
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

  async requireReauth(
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
}

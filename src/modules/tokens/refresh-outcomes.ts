import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { AppConfig } from '../../config';
import { InjectConfig } from '../../config';
import { Clock } from '../../common/clock';
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

// `shared`: another caller or instance refreshed while we waited; `failed`: state already recorded.
export interface RefreshOutcome {
  result: 'refreshed' | 'shared' | 'fresh' | 'failed';
  error?: TokensError;
  brokerageError?: BrokerageError;
}

export interface StoreRequest {
  connectionId: string;
  leaseId: string;
  // The secrets read at the claim: a refresh token or id token not returned again is kept.
  secrets: Record<string, string>;
  tokens?: TokenSet;
  failure?: BrokerageError;
}

interface Refreshed {
  row: TokenRow;
  old: Record<string, string>;
  tokens: TokenSet;
}

const changed = (next: string | undefined, old: string | undefined) =>
  next !== undefined && next !== old ? next : undefined;

/** What finished refresh attempts write, inside the caller's transaction: new tokens, a backoff, or reauth. */
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
    private readonly clock: Clock,
  ) {}

  // The store step of a batch: only rows still carrying the attempt's lease are written (compare-and-swap);
  // the others lapsed or were removed meanwhile, and what is there is kept ("shared").
  async storeAll(m: EntityManager, requests: StoreRequest[]): Promise<RefreshOutcome[]> {
    const rows = new Map(
      (await this.repo.lockClaimed(m, requests)).map((r) => [r.connectionId, r]),
    );
    const now = this.clock.now();
    const refreshed: Refreshed[] = [];
    const out: RefreshOutcome[] = [];
    for (const [i, req] of requests.entries()) {
      const r = rows.get(req.connectionId);
      if (!r) out[i] = { result: 'shared' };
      else if (req.failure?.kind === 'reauth_required')
        out[i] = await this.requireReauth(m, r, req.failure, now);
      else if (req.failure) out[i] = await this.recordTemporaryFailure(m, r, req.failure, now);
      else {
        refreshed.push({ row: r, old: req.secrets, tokens: req.tokens! });
        out[i] = { result: 'refreshed' };
      }
    }
    if (refreshed.length) await this.applyRefreshed(m, refreshed, now);
    return out;
  }

  // One statement each for secrets, metadata and events; status changes (rare) row by row.
  private async applyRefreshed(m: EntityManager, items: Refreshed[], now: Date): Promise<void> {
    const done = items.map(({ row, old, tokens }) => {
      const accessTokenExpiresAt = this.policy.accessExpiry(tokens, now);
      return {
        row,
        // A rotated refresh token (or a new id token) is saved, never extending the refresh token's hard end;
        // one the brokerage did not change is left as it is.
        secrets: {
          tokenId: row.id,
          access: tokens.accessToken,
          refresh: changed(tokens.refreshToken, old.refresh_token),
          idToken: changed(tokens.idToken, old.id_token),
        },
        meta: {
          id: row.id,
          accessTokenExpiresAt,
          refreshCount: row.refreshCount + 1,
          scopes: tokens.scopes ?? row.scopes,
          refreshDueAt: this.policy.nextDue(accessTokenExpiresAt, now),
        },
      };
    });
    // Replaced in place, inside this transaction: a failure before COMMIT keeps the old, working set.
    await this.store.storeSecretsMany(
      m,
      done.map((d) => d.secrets),
    );
    await this.repo.markRefreshed(
      m,
      done.map((d) => d.meta),
      now,
    );
    await this.connections.recordEvents(
      m,
      done.map(({ row, meta }) => ({
        connectionId: row.connectionId,
        type: 'token_refreshed',
        data: {
          refreshCount: meta.refreshCount,
          accessTokenExpiresAt: meta.accessTokenExpiresAt.toISOString(),
        },
      })),
    );
    for (const { row } of done) {
      const to = this.policy.statusAfterSuccess(row.refreshTokenExpiresAt, now);
      await this.changeStatus(m, row, to, null, now);
    }
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

import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { Clock } from '../../common/clock';
import type { AppConfig } from '../../config';
import { InjectConfig } from '../../config';
import { BROKERAGE_ADAPTERS, BrokerageError } from '../brokerages/brokerage-adapter';
import type { BrokerageAdapter, BrokerageAdapters } from '../brokerages/brokerage-adapter';
import { ProviderTokensRepository, TokenRow } from './provider-tokens.repository';
import { REFRESH_BUDGET } from './refresh-budget';
import type { RefreshBudget } from './refresh-budget';
import { RefreshOutcomes } from './refresh-outcomes';
import type { RefreshOutcome } from './refresh-outcomes';
import { TokenPolicy } from './token-policy';
import { TokenStore } from './token-store.service';
import { TokensError } from './tokens.errors';

export interface ClaimRequest {
  connectionId: string;
  force: boolean;
  startedAt: Date;
}

export type Claim =
  | { kind: 'done'; outcome: RefreshOutcome }
  | { kind: 'wait'; until: Date }
  | {
      kind: 'call';
      connectionId: string;
      leaseId: string;
      adapter: BrokerageAdapter;
      secrets: Record<string, string>;
    };

interface Candidate {
  index: number;
  row: TokenRow;
  force: boolean;
  adapter: BrokerageAdapter;
  secrets: Record<string, string>;
}

const done = (outcome: RefreshOutcome): Claim => ({ kind: 'done', outcome });

/**
 * The claim step of a batch of refreshes, inside one transaction: lock the connection rows, then the token
 * rows; decide each (fresh / shared / wait / backoff / reauth); read the secrets of those that need a call in one
 * query; take the rate budget (one acquisition per brokerage for the non-forced ones); write the leases in one
 * statement. Rare outcomes that write (reauth, due-date corrections) are written row by row.
 */
@Injectable()
export class RefreshClaims {
  constructor(
    private readonly repo: ProviderTokensRepository,
    private readonly store: TokenStore,
    private readonly policy: TokenPolicy,
    private readonly outcomes: RefreshOutcomes,
    private readonly clock: Clock,
    @InjectConfig() private readonly config: AppConfig,
    @Inject(BROKERAGE_ADAPTERS) private readonly adapters: BrokerageAdapters,
    @Inject(REFRESH_BUDGET) private readonly budget: RefreshBudget,
  ) {}

  async claim(m: EntityManager, requests: ClaimRequest[]): Promise<Claim[]> {
    const ids = requests.map((r) => r.connectionId);
    await this.repo.lockConnection(m, ids);
    const rows = new Map((await this.repo.lock(m, ids)).map((r) => [r.connectionId, r]));
    const now = this.clock.now();
    const claims: Claim[] = [];
    const screened: Array<{ index: number; row: TokenRow; force: boolean }> = [];
    for (const [index, req] of requests.entries()) {
      const row = rows.get(req.connectionId) ?? null;
      const early = await this.screen(m, row, req, now);
      if (early) claims[index] = early;
      else screened.push({ index, row: row!, force: req.force });
    }
    const secrets = await this.store.readRefreshSecrets(
      m,
      screened.map((s) => s.row.id),
    );
    const candidates: Candidate[] = [];
    for (const s of screened) {
      const own = secrets.get(s.row.id) ?? {};
      const adapter = this.adapters.get(s.row.providerKey);
      if (own.refresh_token && adapter) {
        candidates.push({ ...s, adapter, secrets: own });
        continue;
      }
      const code = adapter ? 'no_refresh_token' : 'provider_unavailable';
      claims[s.index] = done(
        await this.outcomes.requireReauth(
          m,
          s.row,
          new BrokerageError('reauth_required', code),
          now,
        ),
      );
    }
    const refusals = await this.takeBudget(candidates, now);
    const leases: Array<{ id: string; leaseId: string }> = [];
    candidates.forEach((c, k) => {
      const refused = refusals[k];
      if (refused) {
        claims[c.index] = done({ result: 'failed', error: TokensError.unavailable(refused, now) });
        return;
      }
      const leaseId = randomUUID();
      leases.push({ id: c.row.id, leaseId });
      const { adapter, secrets: own } = c;
      claims[c.index] = {
        kind: 'call',
        connectionId: c.row.connectionId,
        leaseId,
        adapter,
        secrets: own,
      };
    });
    if (leases.length)
      await this.repo.setLeases(
        m,
        leases,
        new Date(now.getTime() + this.config.providers.refreshLeaseMs),
      );
    return claims;
  }

  // Everything decided before the secrets are needed; undefined: a brokerage call is wanted.
  private async screen(
    m: EntityManager,
    row: TokenRow | null,
    req: ClaimRequest,
    now: Date,
  ): Promise<Claim | undefined> {
    const unusable = this.policy.unusableError(row);
    if (unusable) return done({ result: 'failed', error: unusable });
    const r = row!;
    if (r.lastRefreshedAt && r.lastRefreshedAt.getTime() >= req.startedAt.getTime())
      return done({ result: 'shared' });
    const cooldown = this.config.providers.forcedRefreshCooldownMs;
    if (req.force && r.lastRefreshedAt && now.getTime() - r.lastRefreshedAt.getTime() < cooldown)
      return done({ result: 'shared' });
    if (r.refreshLeaseUntil && r.refreshLeaseUntil.getTime() > now.getTime())
      return { kind: 'wait', until: r.refreshLeaseUntil };
    const due = this.policy.nextDue(r.accessTokenExpiresAt, now);
    if (!req.force && !this.policy.needsRefresh(r, now)) {
      // A sweeper's lease moved refresh_due_at forward; put it back where it belongs.
      if (r.refreshDueAt?.getTime() !== due.getTime())
        await this.repo.update(m, r.id, { refreshDueAt: due });
      return done({ result: 'fresh' });
    }
    // The hard end first: backing off cannot help an expired refresh token (409, not 503).
    if (r.refreshTokenExpiresAt && r.refreshTokenExpiresAt.getTime() <= now.getTime()) {
      const expired = new BrokerageError('reauth_required', 'refresh_token_expired');
      return done(await this.outcomes.requireReauth(m, r, expired, now));
    }
    if (r.nextAttemptAt && r.nextAttemptAt.getTime() > now.getTime()) {
      if (r.refreshDueAt?.getTime() !== r.nextAttemptAt.getTime())
        await this.repo.update(m, r.id, { refreshDueAt: r.nextAttemptAt });
      return done({ result: 'failed', error: TokensError.unavailable(r.nextAttemptAt, now) });
    }
    return undefined;
  }

  // Per candidate: null (granted) or when to retry. Forced calls count too, each against its user's share, so one
  // user cannot starve everyone else; the sweep's calls take the brokerage's budget in one go.
  private async takeBudget(candidates: Candidate[], now: Date): Promise<Array<Date | null>> {
    const out: Array<Date | null> = [];
    const bulk = new Map<string, { adapter: BrokerageAdapter; ks: number[] }>();
    for (const [k, c] of candidates.entries()) {
      if (!c.force) {
        const group = bulk.get(c.row.providerKey) ?? { adapter: c.adapter, ks: [] };
        group.ks.push(k);
        bulk.set(c.row.providerKey, group);
        continue;
      }
      const share = {
        key: `${c.row.providerKey}:user:${c.row.userId}`,
        perWindow: Math.max(
          1,
          Math.floor(c.adapter.ratePerMinute * this.config.providers.userRateShare),
        ),
      };
      const rate = c.adapter.ratePerMinute;
      const refused = await this.budget.acquire(c.row.providerKey, rate, now, share);
      out[k] = refused?.retryAt ?? null;
    }
    for (const [key, { adapter, ks }] of bulk) {
      const { granted, retryAt } = await this.budget.acquireMany(
        key,
        adapter.ratePerMinute,
        now,
        ks.length,
      );
      ks.forEach((k, n) => (out[k] = n < granted ? null : retryAt!));
    }
    return out;
  }
}

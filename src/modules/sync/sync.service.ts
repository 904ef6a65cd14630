import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '../../common/clock';
import type { AppConfig } from '../../config';
import { InjectConfig } from '../../config';
import { Transactions } from '../../database/transactions';
import { FinancialDataRepository } from '../accounts/financial-data.repository';
import { BROKERAGE_DATA_ADAPTERS, BrokerageError } from '../brokerages/brokerage-data.adapter';
import type { BrokerageDataAdapters } from '../brokerages/brokerage-data.adapter';
import { EncryptionService } from '../encryption/encryption.service';
import { backoffDelayMs, parseRetryAfterMs, RANDOM } from '../tokens/backoff';
import type { RandomSource } from '../tokens/backoff';
import { TokensError, TokensErrorCode } from '../tokens/tokens.errors';
import { TokensService } from '../tokens/tokens.service';
import { ConnectionsService } from '../connections';
import type { ProviderConnectionEntity as SyncConnection } from '../connections';
import { AccountSnapshot, fetchSnapshot } from './snapshot';
import { SYNCABLE, SyncScheduleRepository } from './sync-schedule.repository';

export const ACCOUNT_SECRET_OWNER = 'brokerage_account';

export interface SyncResult {
  result: 'synced' | 'failed' | 'skipped';
  code?: string;
  accounts?: number;
  closed?: number;
  positions?: number;
  transactionsAdded?: number;
}

// Everything is fetched and validated with no transaction open, then written in one transaction; on any failure
// nothing is written and the failure is recorded. The caller holds the connection's lease.
@Injectable()
export class SyncService {
  private readonly logger = new Logger('Sync');

  constructor(
    private readonly transactions: Transactions,
    private readonly connections: ConnectionsService,
    private readonly schedule: SyncScheduleRepository,
    private readonly data: FinancialDataRepository,
    private readonly tokens: TokensService,
    private readonly encryption: EncryptionService,
    private readonly clock: Clock,
    @InjectConfig() private readonly config: AppConfig,
    @Inject(BROKERAGE_DATA_ADAPTERS) private readonly adapters: BrokerageDataAdapters,
    @Inject(RANDOM) private readonly random: RandomSource,
  ) {}

  async syncLeased(connectionId: string, leaseOwner: string): Promise<SyncResult> {
    const conn = await this.connections.findById(connectionId);
    if (!conn || !SYNCABLE.includes(conn.status)) return this.release(connectionId, leaseOwner);
    const adapter = this.adapters.get(conn.providerKey);
    if (!adapter)
      return this.fail(conn, leaseOwner, new BrokerageError('temporary', 'provider_unavailable'));
    let snapshot: AccountSnapshot[];
    try {
      const accessToken = await this.tokens.getValidAccessToken(connectionId);
      const known = await this.data.knownAccounts(connectionId);
      snapshot = await fetchSnapshot(adapter, { connectionId, accessToken }, known, {
        today: this.clock.now().toISOString().slice(0, 10),
        historyDays: this.config.sync.historyDays,
        overlapDays: this.config.sync.overlapDays,
      });
    } catch (err) {
      return this.fail(conn, leaseOwner, err);
    }
    try {
      return await this.write(conn, leaseOwner, snapshot);
    } catch (err) {
      // Name and SQLSTATE only: a database message may quote a brokerage value.
      const code = (err as { driverError?: { code?: string } }).driverError?.code;
      this.logger.error(
        { connectionId, err: { name: (err as Error).name, code } },
        'sync write failed',
      );
      return this.fail(conn, leaseOwner, new BrokerageError('temporary', 'invalid_data'));
    }
  }

  private async write(
    conn: SyncConnection,
    leaseOwner: string,
    snapshot: AccountSnapshot[],
  ): Promise<SyncResult> {
    return this.transactions.run(async (tx) => {
      const m = tx.manager;
      const now = this.clock.now();
      const locked = await this.connections.findById(conn.id, m, true);
      const lease = await this.schedule.lockLease(m, conn.id, leaseOwner);
      // Disconnected meanwhile, or our lease lapsed and another instance took over: write nothing.
      if (!locked || !SYNCABLE.includes(locked.status) || !lease)
        return { result: 'skipped' as const, code: 'lease_lost' };
      const upserted = await this.data.upsertAccounts(
        m,
        { connectionId: conn.id, userId: locked.userId, providerKey: locked.providerKey },
        snapshot.map((s) => s.account),
        now,
      );
      let positions = 0;
      let transactionsAdded = 0;
      for (const [i, s] of snapshot.entries()) {
        const row = upserted[i];
        if (row.inserted) {
          await this.encryption.storeSecret(
            m,
            { ownerType: ACCOUNT_SECRET_OWNER, ownerId: row.id, field: 'api_handle' },
            s.account.apiHandle,
          );
        }
        await this.data.replacePositions(m, row.id, s.positions);
        transactionsAdded += await this.data.appendTransactions(m, row.id, s.transactions);
        await this.data.appendBalance(m, row.id, s.account, now);
        positions += s.positions.length;
      }
      const closed = await this.data.closeMissing(
        m,
        conn.id,
        snapshot.map((s) => s.account.externalId),
        now,
      );
      await this.schedule.update(m, conn.id, {
        leaseOwner: null,
        leaseUntil: null,
        failureCount: 0,
        degradedBySync: false,
        nextSyncAt: new Date(now.getTime() + this.config.sync.intervalMs),
        updatedAt: now,
      });
      if (locked.status === 'degraded' && lease.degradedBySync) {
        await this.connections.transition(m, locked, 'active', null, now);
      }
      await this.connections.setSyncStatus(m, [conn.id], 'idle', null, now);
      const result = { accounts: snapshot.length, closed, positions, transactionsAdded };
      await this.connections.recordEvent(m, conn.id, 'sync_completed', result);
      return { result: 'synced' as const, ...result };
    });
  }

  // Token failures were already recorded on the connection by the tokens module: only the sync's state changes.
  private async fail(conn: SyncConnection, leaseOwner: string, err: unknown): Promise<SyncResult> {
    const failure = classify(err);
    const s = this.config.sync;
    return this.transactions.run(async (tx) => {
      const m = tx.manager;
      const now = this.clock.now();
      const locked = await this.connections.findById(conn.id, m, true);
      const lease = await this.schedule.lockLease(m, conn.id, leaseOwner);
      if (!locked || !lease) return { result: 'skipped' as const, code: 'lease_lost' };
      const failureCount = lease.failureCount + 1;
      let delay =
        failure.kind === 'reauth_required'
          ? s.intervalMs
          : backoffDelayMs(failureCount, s.backoffBaseMs, s.backoffMaxMs, this.random);
      const retryAfter = failure.retryAfterMs ?? parseRetryAfterMs(failure.retryAfter, now);
      if (retryAfter !== undefined) delay = Math.max(delay, retryAfter);
      const nextSyncAt = new Date(now.getTime() + delay);
      const ours = !failure.fromTokens && SYNCABLE.includes(locked.status);
      const to = failure.kind === 'reauth_required' ? 'reauth_required' : 'degraded';
      await this.schedule.update(m, conn.id, {
        leaseOwner: null,
        leaseUntil: null,
        failureCount,
        // Ours only if this sync moved it there (a token failure's degradation is the tokens module's to heal).
        degradedBySync:
          ours && to === 'degraded'
            ? locked.status !== 'degraded' || lease.degradedBySync
            : lease.degradedBySync && !ours,
        nextSyncAt,
        updatedAt: now,
      });
      if (ours) await this.connections.transition(m, locked, to, failure.code, now);
      await this.connections.setSyncStatus(m, [conn.id], 'failed', failure.code);
      await this.connections.recordEvent(m, conn.id, 'sync_failed', {
        code: failure.code,
        kind: failure.kind,
        httpStatus: failure.status ?? null,
        failureCount,
        nextSyncAt: nextSyncAt.toISOString(),
      });
      this.logger.warn({ connectionId: conn.id, code: failure.code, failureCount }, 'sync failed');
      return { result: 'failed' as const, code: failure.code };
    });
  }

  private async release(connectionId: string, leaseOwner: string): Promise<SyncResult> {
    await this.transactions.run(async (tx) => {
      if (await this.schedule.lockLease(tx.manager, connectionId, leaseOwner)) {
        await this.schedule.update(tx.manager, connectionId, {
          leaseOwner: null,
          leaseUntil: null,
          updatedAt: this.clock.now(),
        });
      }
    });
    return { result: 'skipped', code: 'not_syncable' };
  }
}

interface Failure {
  kind: BrokerageError['kind'];
  code: string;
  status?: number;
  retryAfter?: string;
  retryAfterMs?: number;
  fromTokens: boolean;
}

function classify(err: unknown): Failure {
  if (err instanceof BrokerageError) {
    return {
      kind: err.kind,
      code: err.code,
      status: err.status,
      retryAfter: err.retryAfter,
      fromTokens: false,
    };
  }
  if (err instanceof TokensError) {
    const seconds = Number(err.details.retryAfterSeconds);
    const temporary =
      err.code === TokensErrorCode.BROKERAGE_UNAVAILABLE ||
      err.code === TokensErrorCode.TOO_MANY_REFRESHES;
    return {
      kind: temporary ? 'temporary' : 'reauth_required',
      code: err.code,
      retryAfterMs: Number.isFinite(seconds) ? seconds * 1000 : undefined,
      fromTokens: true,
    };
  }
  return { kind: 'temporary', code: 'unexpected_error', fromTokens: false };
}

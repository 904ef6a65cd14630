import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { Clock } from '../../common/clock';
import type { RequestMeta } from '../../common/decorators/meta.decorator';
import type { AppConfig } from '../../config';
import { InjectConfig } from '../../config';
import { Transactions } from '../../database/transactions';
import { AuditService } from '../audit/audit.service';
import { BROKERAGE_ADAPTERS, BrokerageError } from '../brokerages/brokerage-adapter';
import type {
  BrokerageAdapter,
  BrokerageAdapters,
  TokenSet,
} from '../brokerages/brokerage-adapter';
import { AUTHORIZATION_FAILED, safeCode } from '../brokerages/oauth-brokerage.adapter';
import { ConnectionsService } from '../connections/connections.service';
import { ProviderConnectionEntity } from '../connections/provider-connection.entity';
import { EncryptionService } from '../encryption/encryption.service';
import { TokensService } from '../tokens/tokens.service';
import { OAuthStatesRepository } from './oauth-states.repository';
import type { AuthorizationStartView } from './providers.dto';
import { ProvidersError, ProvidersErrorCode } from './providers.errors';

export const VERIFIER_OWNER = 'oauth_state';

// A fixed, documented vocabulary for `result=error&reason=<code>`.
export const AUTHORIZATION_FAILURES = [
  'invalid_state',
  'state_mismatch',
  'state_expired',
  'state_replayed',
  'access_denied',
  'authorization_failed',
  'missing_code',
  'exchange_failed',
  'brokerage_unavailable',
  'provider_unavailable',
] as const;
export type AuthorizationFailure = (typeof AUTHORIZATION_FAILURES)[number];

type StateClaim =
  | {
      ok: false;
      reason: 'invalid_state' | 'state_mismatch' | 'state_expired' | 'state_replayed';
      connectionId?: string;
    }
  | { ok: true; connection: ProviderConnectionEntity; verifier: string };

export type AuthorizationResult =
  | { result: 'connected'; connection: ProviderConnectionEntity }
  | { result: 'error'; reason: AuthorizationFailure; connectionId?: string };

// Schwab adds `session`, ignored.
export interface CallbackParams {
  code?: string;
  state?: string;
  error?: string;
  iss?: string;
}

@Injectable()
export class OAuthFlowService {
  private readonly logger = new Logger('Providers');

  constructor(
    private readonly transactions: Transactions,
    private readonly connections: ConnectionsService,
    private readonly states: OAuthStatesRepository,
    private readonly tokens: TokensService,
    private readonly encryption: EncryptionService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    @InjectConfig() private readonly config: AppConfig,
    @Inject(BROKERAGE_ADAPTERS) private readonly adapters: BrokerageAdapters,
  ) {}

  // The state is stored only as its SHA-256, single-use, bound to user and connection; the PKCE verifier stays
  // encrypted server-side; the redirect URI comes from configuration only.
  async startAuthorization(
    userId: string,
    id: string,
    meta: RequestMeta,
  ): Promise<AuthorizationStartView & { browserBinding: string }> {
    const state = randomBytes(32).toString('base64url');
    const browserBinding = randomBytes(32).toString('base64url');
    const verifier = oauth.generateRandomCodeVerifier();
    const challenge = await oauth.calculatePKCECodeChallenge(verifier);
    return this.transactions.run(async (tx) => {
      const row = await this.connections.requireOwned(userId, id, tx.manager, true);
      const adapter = this.enabledAdapter(row.providerKey);
      const now = this.clock.now();
      const expiresAt = new Date(now.getTime() + this.config.providers.stateTtlMs);
      const stale = await this.states.pendingIds(tx.manager, id);
      for (const staleId of stale)
        await this.encryption.deleteSecrets(tx.manager, VERIFIER_OWNER, staleId);
      await this.states.deleteIds(tx.manager, stale);
      const stateId = await this.states.insert(tx.manager, {
        stateHash: hashState(state),
        browserHash: hashState(browserBinding),
        connectionId: id,
        userId,
        providerKey: adapter.key,
        expiresAt,
        consumedAt: null,
        createdAt: now,
      });
      await this.encryption.storeSecret(
        tx.manager,
        { ownerType: VERIFIER_OWNER, ownerId: stateId, field: 'code_verifier' },
        verifier,
      );
      await this.connections.recordEvent(tx.manager, id, 'authorization_started', {
        reauthorisation: row.status !== 'pending_auth',
      });
      await this.audit.record(tx.manager, {
        type: 'provider.authorization_started',
        userId,
        ...meta,
        data: { connectionId: id, providerKey: adapter.key },
      });
      return {
        authorizationUrl: adapter.buildAuthorizationUrl({ state, codeChallenge: challenge }),
        expiresAt: expiresAt.toISOString(),
        browserBinding,
      };
    });
  }

  // The state is consumed in its own committed transaction before the exchange, so it is single-use even when
  // the exchange fails. `{ browser }` is the binding cookie: a state started in another browser (a victim handed
  // the attacker's authorization URL) is refused as `state_mismatch`, not consumed, no connection named.
  async completeAuthorization(
    params: CallbackParams,
    meta: RequestMeta,
    expected: { userId: string; connectionId: string } | { browser: string | undefined },
  ): Promise<AuthorizationResult> {
    if (!params.state || params.state.length > 512)
      return { result: 'error', reason: 'invalid_state' };
    const claimed = await this.transactions.run(async (tx): Promise<StateClaim> => {
      const st = await this.states.lockByHash(tx.manager, hashState(params.state!));
      if (!st) return { ok: false as const, reason: 'invalid_state' as const };
      // A foreign state (another user or connection) is refused without consuming it or naming its connection.
      if (
        'userId' in expected &&
        (st.userId !== expected.userId || st.connectionId !== expected.connectionId)
      ) {
        return { ok: false as const, reason: 'invalid_state' as const };
      }
      if (
        'browser' in expected &&
        (!st.browserHash || !expected.browser || hashState(expected.browser) !== st.browserHash)
      ) {
        return { ok: false as const, reason: 'state_mismatch' as const };
      }
      if (st.consumedAt)
        return {
          ok: false as const,
          reason: 'state_replayed' as const,
          connectionId: st.connectionId,
        };
      const now = this.clock.now();
      await this.states.consume(tx.manager, st.id, now);
      const verifier = await this.encryption.readSecret(tx.manager, {
        ownerType: VERIFIER_OWNER,
        ownerId: st.id,
        field: 'code_verifier',
      });
      await this.encryption.deleteSecrets(tx.manager, VERIFIER_OWNER, st.id);
      if (st.expiresAt.getTime() <= now.getTime())
        return {
          ok: false as const,
          reason: 'state_expired' as const,
          connectionId: st.connectionId,
        };
      const connection = await this.connections.findById(st.connectionId, tx.manager);
      if (
        !connection ||
        connection.status === 'disconnected' ||
        connection.userId !== st.userId ||
        !verifier
      ) {
        return { ok: false as const, reason: 'invalid_state' as const };
      }
      return { ok: true, connection, verifier };
    });
    if (!claimed.ok) {
      const connectionId = claimed.connectionId;
      this.logger.warn({ reason: claimed.reason, connectionId }, 'oauth callback refused');
      if (connectionId)
        await this.recordFailure(
          connectionId,
          'userId' in expected ? expected.userId : null,
          claimed.reason,
          null,
          meta,
        );
      return { result: 'error', reason: claimed.reason, connectionId };
    }
    const { connection, verifier } = claimed;
    const fail = async (
      reason: AuthorizationFailure,
      brokerageCode: string | null,
    ): Promise<AuthorizationResult> => {
      await this.recordFailure(connection.id, connection.userId, reason, brokerageCode, meta);
      return { result: 'error', reason, connectionId: connection.id };
    };
    if (params.error)
      return fail(
        params.error === 'access_denied' ? 'access_denied' : 'authorization_failed',
        safeCode(params.error, 'invalid'),
      );
    if (!params.code) return fail('missing_code', null);
    const adapter = this.adapters.get(connection.providerKey);
    if (!adapter?.enabled) return fail('provider_unavailable', null);

    let tokens: TokenSet;
    try {
      const callback: Record<string, string> = { code: params.code };
      if (params.iss) callback.iss = params.iss;
      tokens = await adapter.exchangeCode(callback, verifier);
    } catch (err) {
      const e: BrokerageError = adapter.classifyError(err);
      if (e.code === AUTHORIZATION_FAILED) return fail('authorization_failed', null);
      return fail(
        e.kind === 'reauth_required' ? 'exchange_failed' : 'brokerage_unavailable',
        e.code,
      );
    }

    const updated = await this.transactions.run(async (tx) => {
      const row = await this.connections.findById(connection.id, tx.manager, true);
      if (!row || row.status === 'disconnected') return null;
      const status = await this.tokens.storeFromExchange(
        tx.manager,
        { id: row.id, userId: row.userId, providerKey: row.providerKey, status: row.status },
        tokens,
      );
      const connected = await this.connections.markConnected(tx.manager, row, status);
      await this.audit.record(tx.manager, {
        type: 'provider.connected',
        userId: row.userId,
        ...meta,
        data: {
          connectionId: row.id,
          providerKey: row.providerKey,
          reauthorisation: row.status !== 'pending_auth',
        },
      });
      return connected;
    });
    if (!updated) return { result: 'error', reason: 'invalid_state' };
    return { result: 'connected', connection: updated };
  }

  private enabledAdapter(key: string): BrokerageAdapter {
    const adapter = this.adapters.get(key);
    if (!adapter?.enabled)
      throw new ProvidersError(ProvidersErrorCode.PROVIDER_DISABLED, { existingConnection: true });
    return adapter;
  }

  private async recordFailure(
    connectionId: string,
    userId: string | null,
    reason: AuthorizationFailure,
    brokerageCode: string | null,
    meta: RequestMeta,
  ): Promise<void> {
    await this.transactions.run(async (tx) => {
      await this.connections.recordEvent(tx.manager, connectionId, 'authorization_failed', {
        reason,
        brokerageCode,
      });
      await this.audit.record(tx.manager, {
        type: 'provider.authorization_failed',
        userId,
        ...meta,
        data: { connectionId, reason, brokerageCode },
      });
    });
  }
}

function hashState(state: string): string {
  return createHash('sha256').update(state, 'utf8').digest('hex');
}

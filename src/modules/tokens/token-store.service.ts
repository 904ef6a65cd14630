import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Clock } from '../../common/clock';
import { Tx } from '../../database/transactions';
import { BROKERAGE_ADAPTERS } from '../brokerages/brokerage-adapter';
import type { BrokerageAdapters, TokenSet } from '../brokerages/brokerage-adapter';
import type { ConnectionStatus } from '../connections/connection-status';
import { ConnectionsService } from '../connections/connections.service';
import type { ConnectionRef } from '../connections/connections.service';
import { EncryptionService } from '../encryption/encryption.service';
import { ProviderTokensRepository } from './provider-tokens.repository';
import { TokenPolicy } from './token-policy';
import { TokensError, TokensErrorCode } from './tokens.errors';

export const TOKEN_SECRET_OWNER = 'provider_token';
export const NO_LEASE = { refreshLeaseId: null, refreshLeaseUntil: null };

export interface TokenMetadata {
  accessTokenExpiresAt: string;
  refreshTokenExpiresAt: string | null;
  lastRefreshedAt: string | null;
  refreshCount: number;
  scopes: string[];
}

export interface TokenSecrets {
  tokenId: string;
  access: string;
  refresh?: string;
  idToken?: string;
}

@Injectable()
export class TokenStore {
  private readonly logger = new Logger('Tokens');

  constructor(
    private readonly dataSource: DataSource,
    private readonly repo: ProviderTokensRepository,
    private readonly connections: ConnectionsService,
    private readonly encryption: EncryptionService,
    private readonly policy: TokenPolicy,
    private readonly clock: Clock,
    @Inject(BROKERAGE_ADAPTERS) private readonly adapters: BrokerageAdapters,
  ) {}

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

  // New connection or re-authorisation: the same row and secrets owner are reused.
  async storeFromExchange(
    manager: EntityManager,
    connection: ConnectionRef,
    tokens: TokenSet,
  ): Promise<ConnectionStatus> {
    const now = this.clock.now();
    const adapter = this.adapters.get(connection.providerKey);
    const accessExp = this.policy.accessExpiry(tokens, now);
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
      refreshDueAt: this.policy.nextDue(accessExp, now),
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
    return this.policy.statusAfterSuccess(refreshExp, now);
  }

  // Revocation at the brokerage runs after COMMIT, best effort: a failure is logged, never surfaced.
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

  // Token row id → field → plaintext, of the fields a refresh needs (the access token is replaced anyway).
  readRefreshSecrets(
    m: EntityManager,
    tokenIds: string[],
  ): Promise<Map<string, Record<string, string>>> {
    return this.encryption.readSecretsOfOwners(m, TOKEN_SECRET_OWNER, tokenIds, [
      'refresh_token',
      'id_token',
    ]);
  }

  storeSecrets(
    m: EntityManager,
    tokenId: string,
    access: string,
    refresh?: string,
    idToken?: string,
  ): Promise<void> {
    return this.storeSecretsMany(m, [{ tokenId, access, refresh, idToken }]);
  }

  async storeSecretsMany(m: EntityManager, sets: TokenSecrets[]): Promise<void> {
    const entries = sets.flatMap((t) => {
      const ref = (field: string) => ({ ownerType: TOKEN_SECRET_OWNER, ownerId: t.tokenId, field });
      const out = [{ ref: ref('access_token'), plaintext: t.access }];
      if (t.refresh) out.push({ ref: ref('refresh_token'), plaintext: t.refresh });
      if (t.idToken) out.push({ ref: ref('id_token'), plaintext: t.idToken });
      return out;
    });
    await this.encryption.storeSecrets(m, entries);
  }

  async readAccessToken(tokenId: string): Promise<string> {
    const value = await this.encryption.readSecret(this.dataSource.manager, {
      ownerType: TOKEN_SECRET_OWNER,
      ownerId: tokenId,
      field: 'access_token',
    });
    if (!value) throw new TokensError(TokensErrorCode.NOT_CONNECTED);
    return value;
  }
}

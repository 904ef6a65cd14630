import { Inject, Injectable } from '@nestjs/common';
import type { RequestMeta } from '../../common/decorators/meta.decorator';
import { Transactions } from '../../database/transactions';
import { AuditService } from '../audit/audit.service';
import { BROKERAGE_ADAPTERS } from '../brokerages/brokerage-adapter';
import type { BrokerageAdapters } from '../brokerages/brokerage-adapter';
import { ConnectionsService } from '../connections/connections.service';
import { ProviderConnectionEntity } from '../connections/provider-connection.entity';
import { EncryptionService } from '../encryption/encryption.service';
import { TokensService } from '../tokens/tokens.service';
import { toPage, toView } from './connection.mapper';
import { decodeCursor } from './cursor';
import { VERIFIER_OWNER } from './oauth-flow.service';
import { OAuthStatesRepository } from './oauth-states.repository';
import { ProvidersError, ProvidersErrorCode } from './providers.errors';
import type {
  ConnectionEventPage,
  ConnectionPage,
  ConnectionView,
  CreateConnectionDto,
  ProviderTypeView,
} from './providers.dto';

/** The catalog and the user's connections (the OAuth flow is OAuthFlowService's). */
@Injectable()
export class ProvidersService {
  constructor(
    private readonly transactions: Transactions,
    private readonly connections: ConnectionsService,
    private readonly states: OAuthStatesRepository,
    private readonly tokens: TokensService,
    private readonly encryption: EncryptionService,
    private readonly audit: AuditService,
    @Inject(BROKERAGE_ADAPTERS) private readonly adapters: BrokerageAdapters,
  ) {}

  catalog(): ProviderTypeView[] {
    return [...this.adapters.values()].map((a) => ({
      key: a.key,
      name: a.name,
      authType: a.authType,
      scopes: [...a.scopes],
      enabled: a.enabled,
    }));
  }

  async create(
    userId: string,
    dto: CreateConnectionDto,
    meta: RequestMeta,
  ): Promise<ConnectionView> {
    const adapter = this.adapters.get(dto.providerKey);
    if (!adapter) throw new ProvidersError(ProvidersErrorCode.UNKNOWN_PROVIDER);
    if (!adapter.enabled) throw new ProvidersError(ProvidersErrorCode.PROVIDER_DISABLED);
    const row = await this.transactions.run(async (tx) => {
      const created = await this.connections.create(
        tx.manager,
        userId,
        adapter.key,
        dto.alias ?? null,
      );
      await this.audit.record(tx.manager, {
        type: 'provider.connection_created',
        userId,
        ...meta,
        data: { connectionId: created.id, providerKey: adapter.key },
      });
      return created;
    });
    return toView(row);
  }

  async list(userId: string, limit = 20, cursor?: string): Promise<ConnectionPage> {
    return toPage(
      await this.connections.listOwned(userId, limit + 1, decodeCursor(cursor)),
      limit,
      toView,
    );
  }

  async get(userId: string, id: string): Promise<ConnectionView> {
    return toView(await this.owned(userId, id));
  }

  /** Ownership check for routes served by other services (token metadata, refresh, events). */
  async owned(userId: string, id: string): Promise<ProviderConnectionEntity> {
    return this.connections.requireOwned(userId, id);
  }

  async rename(
    userId: string,
    id: string,
    alias: string | null,
    meta: RequestMeta,
  ): Promise<ConnectionView> {
    return this.transactions.run(async (tx) => {
      const row = await this.connections.requireOwned(userId, id, tx.manager, true);
      const updatedAt = await this.connections.rename(tx.manager, id, alias);
      await this.audit.record(tx.manager, {
        type: 'provider.connection_renamed',
        userId,
        ...meta,
        data: { connectionId: id },
      });
      return toView({ ...row, alias, updatedAt });
    });
  }

  /** Destroys tokens and pending states, marks the row disconnected (404 from now on); revocation after COMMIT. */
  async disconnect(userId: string, id: string, meta: RequestMeta): Promise<void> {
    await this.transactions.run(async (tx) => {
      const row = await this.connections.requireOwned(userId, id, tx.manager, true);
      await this.tokens.destroy(tx, id);
      for (const stateId of await this.states.deleteForConnection(tx.manager, id)) {
        await this.encryption.deleteSecrets(tx.manager, VERIFIER_OWNER, stateId);
      }
      await this.connections.markDisconnected(tx.manager, row, 'user_request');
      await this.audit.record(tx.manager, {
        type: 'provider.disconnected',
        userId,
        ...meta,
        data: { connectionId: id, providerKey: row.providerKey },
      });
    });
  }

  async listEvents(
    userId: string,
    id: string,
    limit = 50,
    cursor?: string,
  ): Promise<ConnectionEventPage> {
    await this.owned(userId, id);
    const rows = await this.connections.listEvents(id, limit + 1, decodeCursor(cursor));
    return toPage(rows, limit, (e) => ({
      id: e.id,
      type: e.type,
      data: e.data,
      createdAt: e.createdAt.toISOString(),
    }));
  }
}

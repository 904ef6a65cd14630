import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { ProviderConnectionEntity, SyncStatus } from './provider-connection.entity';

export interface PageCursor {
  createdAt: Date;
  id: string;
}

@Injectable()
export class ConnectionsRepository {
  constructor(private readonly dataSource: DataSource) {}

  private m(manager?: EntityManager): EntityManager {
    return manager ?? this.dataSource.manager;
  }

  async insert(
    manager: EntityManager,
    row: Omit<ProviderConnectionEntity, 'id'>,
  ): Promise<ProviderConnectionEntity> {
    const result = await manager.insert(ProviderConnectionEntity, row);
    return { ...row, id: (result.identifiers[0] as { id: string }).id };
  }

  /** null for missing, foreign or disconnected alike: all answer 404. */
  async findOwned(
    userId: string,
    id: string,
    manager?: EntityManager,
    lock = false,
  ): Promise<ProviderConnectionEntity | null> {
    const qb = this.m(manager)
      .createQueryBuilder(ProviderConnectionEntity, 'c')
      .where('c.id = :id AND c.user_id = :userId AND c.status <> :gone', {
        id,
        userId,
        gone: 'disconnected',
      });
    if (lock) qb.setLock('pessimistic_write');
    return qb.getOne();
  }

  async findById(
    id: string,
    manager?: EntityManager,
    lock = false,
  ): Promise<ProviderConnectionEntity | null> {
    const qb = this.m(manager)
      .createQueryBuilder(ProviderConnectionEntity, 'c')
      .where('c.id = :id', { id });
    if (lock) qb.setLock('pessimistic_write');
    return qb.getOne();
  }

  async listOwned(
    userId: string,
    limit: number,
    after?: PageCursor,
  ): Promise<ProviderConnectionEntity[]> {
    const qb = this.m()
      .createQueryBuilder(ProviderConnectionEntity, 'c')
      .where('c.user_id = :userId AND c.status <> :gone', { userId, gone: 'disconnected' })
      .orderBy('c.created_at', 'DESC')
      .addOrderBy('c.id', 'DESC')
      .take(limit);
    if (after)
      qb.andWhere('(c.created_at, c.id) < (:createdAt, :cid)', {
        createdAt: after.createdAt,
        cid: after.id,
      });
    return qb.getMany();
  }

  async update(
    manager: EntityManager,
    id: string,
    patch: Partial<Omit<ProviderConnectionEntity, 'id'>>,
  ): Promise<void> {
    await manager.update(ProviderConnectionEntity, { id }, patch);
  }

  /** `reason` undefined keeps the stored one; `syncedAt` undefined keeps last_synced_at. */
  async setSyncStatus(
    manager: EntityManager,
    ids: string[],
    status: SyncStatus,
    reason: string | null | undefined,
    syncedAt?: Date,
  ): Promise<void> {
    await manager.query(
      `UPDATE provider_connections SET sync_status = $2,
         sync_status_reason = CASE WHEN $5 THEN sync_status_reason ELSE $3 END,
         last_synced_at = COALESCE($4, last_synced_at)
       WHERE id = ANY($1::uuid[])`,
      [ids, status, reason ?? null, syncedAt ?? null, reason === undefined],
    );
  }
}

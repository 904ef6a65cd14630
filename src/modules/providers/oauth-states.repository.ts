import { Injectable } from '@nestjs/common';
import { EntityManager, IsNull } from 'typeorm';
import { OAuthStateEntity } from './oauth-state.entity';

@Injectable()
export class OAuthStatesRepository {
  async insert(manager: EntityManager, row: Omit<OAuthStateEntity, 'id'>): Promise<string> {
    const result = await manager.insert(OAuthStateEntity, row);
    return (result.identifiers[0] as { id: string }).id;
  }

  // Two callbacks racing with the same state cannot both consume it.
  async lockByHash(manager: EntityManager, stateHash: string): Promise<OAuthStateEntity | null> {
    return manager
      .createQueryBuilder(OAuthStateEntity, 's')
      .where('s.state_hash = :stateHash', { stateHash })
      .setLock('pessimistic_write')
      .getOne();
  }

  async consume(manager: EntityManager, id: string, now: Date): Promise<void> {
    await manager.update(OAuthStateEntity, { id }, { consumedAt: now });
  }

  // A restarted flow supersedes them.
  async pendingIds(manager: EntityManager, connectionId: string): Promise<string[]> {
    const rows = await manager.find(OAuthStateEntity, {
      select: { id: true },
      where: { connectionId, consumedAt: IsNull() },
    });
    return rows.map((r) => r.id);
  }

  async deleteIds(manager: EntityManager, ids: string[]): Promise<void> {
    if (ids.length) await manager.delete(OAuthStateEntity, ids);
  }

  async deleteForConnection(manager: EntityManager, connectionId: string): Promise<string[]> {
    const rows = await manager.find(OAuthStateEntity, {
      select: { id: true },
      where: { connectionId },
    });
    await this.deleteIds(
      manager,
      rows.map((r) => r.id),
    );
    return rows.map((r) => r.id);
  }
}

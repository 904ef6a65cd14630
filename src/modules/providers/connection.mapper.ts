import type { PageCursor } from '../connections/connections.repository';
import type { ProviderConnectionEntity } from '../connections/provider-connection.entity';
import { encodeCursor } from './cursor';
import type { ConnectionView } from './providers.dto';

export function toView(row: ProviderConnectionEntity): ConnectionView {
  return {
    id: row.id,
    providerKey: row.providerKey,
    alias: row.alias,
    status: row.status,
    statusReason: row.statusReason,
    connectedAt: row.connectedAt?.toISOString() ?? null,
    lastSyncedAt: row.lastSyncedAt?.toISOString() ?? null,
    syncStatus: row.syncStatus ?? 'idle',
    syncStatusReason: row.syncStatusReason ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** `rows` were fetched with `limit + 1`: the extra row only says whether there is a next page. */
export function toPage<R extends PageCursor, V>(
  rows: R[],
  limit: number,
  view: (row: R) => V,
): { items: V[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(view),
    nextCursor: rows.length > limit && last ? encodeCursor(last) : null,
  };
}

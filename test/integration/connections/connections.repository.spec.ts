import { randomUUID } from 'node:crypto';
import { Transactions } from '../../../src/database/transactions';
import { AuditModule } from '../../../src/modules/audit/audit.module';
import { ConnectionsModule } from '../../../src/modules/connections/connections.module';
import {
  ConnectionsRepository,
  LIST_OWNED_AFTER_SQL,
  LIST_OWNED_SQL,
} from '../../../src/modules/connections/connections.repository';
import type { ProviderConnectionEntity } from '../../../src/modules/connections/provider-connection.entity';
import { useTestModule } from '../../harness';

const m = useTestModule({ imports: [AuditModule, ConnectionsModule] });
const repo = () => m.get<ConnectionsRepository>(ConnectionsRepository);
const T0 = Date.parse('2026-05-01T12:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000);

async function insert(
  userId: string,
  over: Partial<ProviderConnectionEntity> = {},
): Promise<ProviderConnectionEntity> {
  return m.get<Transactions>(Transactions).run((tx) =>
    repo().insert(tx.manager, {
      userId,
      providerKey: 'schwab',
      alias: null,
      status: 'active',
      statusReason: null,
      connectedAt: at(0),
      disconnectedAt: null,
      createdAt: at(0),
      updatedAt: at(0),
      ...over,
    }),
  );
}

describe('ConnectionsRepository (plain SQL reads)', () => {
  it('maps every column of the row, sync state included', async () => {
    const userId = randomUUID();
    const row = await insert(userId, {
      alias: 'ISA',
      status: 'reauth_required',
      statusReason: 'refresh_failed',
      disconnectedAt: at(5),
      createdAt: at(1),
      updatedAt: at(2),
    });
    await m
      .get<Transactions>(Transactions)
      .run((tx) => repo().setSyncStatus(tx.manager, [row.id], 'failed', 'timeout', at(3)));
    const expected: ProviderConnectionEntity = {
      ...row,
      syncStatus: 'failed',
      syncStatusReason: 'timeout',
      lastSyncedAt: at(3),
    };
    expect(await repo().findById(row.id)).toEqual(expected);
    expect(await repo().findOwned(userId, row.id)).toEqual(expected);
    expect(await repo().listOwned(userId, 10)).toEqual([expected]);
    // Columns the insert left to their defaults come back as the database's defaults.
    const plain = await insert(userId);
    expect(await repo().findById(plain.id)).toMatchObject({
      syncStatus: 'idle',
      syncStatusReason: null,
      lastSyncedAt: null,
    });
  });

  it('findOwned answers null for a foreign, a disconnected and a missing connection alike', async () => {
    const userId = randomUUID();
    const mine = await insert(userId);
    const gone = await insert(userId, { status: 'disconnected' });
    const foreign = await insert(randomUUID());
    expect((await repo().findOwned(userId, mine.id))?.id).toBe(mine.id);
    expect(await repo().findOwned(userId, gone.id)).toBeNull();
    expect(await repo().findOwned(userId, foreign.id)).toBeNull();
    expect(await repo().findOwned(userId, randomUUID())).toBeNull();
    // findById is not an ownership check: it sees every row.
    expect((await repo().findById(gone.id))?.id).toBe(gone.id);
  });

  it('lists newest first, breaks created_at ties by id, and a cursor continues without gaps or repeats', async () => {
    const userId = randomUUID();
    const rows = [
      await insert(userId, { createdAt: at(1) }),
      await insert(userId, { createdAt: at(2) }),
      await insert(userId, { createdAt: at(2) }),
      await insert(userId, { createdAt: at(3) }),
    ];
    await insert(userId, { createdAt: at(4), status: 'disconnected' });
    await insert(randomUUID(), { createdAt: at(5) });
    const expected = [...rows]
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1))
      .map((r) => r.id);
    const first = await repo().listOwned(userId, 2);
    const last = first[first.length - 1];
    const second = await repo().listOwned(userId, 2, { createdAt: last.createdAt, id: last.id });
    expect([...first, ...second].map((r) => r.id)).toEqual(expected);
    expect(await repo().listOwned(userId, 2, { createdAt: at(1), id: rows[0].id })).toEqual([]);
  });

  it('the listing is served by the (user_id, created_at, id) index, with and without a cursor', async () => {
    const userId = randomUUID();
    await insert(userId);
    const plans = await m.get<Transactions>(Transactions).run(async (tx) => {
      // Tiny test tables make any plan cheap: forbid sequential scans and check which index serves it.
      await tx.manager.query(`SET LOCAL enable_seqscan = off`);
      return [
        await tx.manager.query(`EXPLAIN (FORMAT JSON) ${LIST_OWNED_SQL}`, [userId, 21]),
        await tx.manager.query(`EXPLAIN (FORMAT JSON) ${LIST_OWNED_AFTER_SQL}`, [
          userId,
          21,
          at(0),
          randomUUID(),
        ]),
      ];
    });
    for (const plan of plans) {
      expect(JSON.stringify(plan)).toContain(
        '"Index Name":"IDX_provider_connections_user_created"',
      );
    }
  });
});

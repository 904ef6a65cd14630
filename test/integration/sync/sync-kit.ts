import { randomUUID } from 'node:crypto';
import { Clock, FakeClock } from '../../../src/common/clock';
import { Transactions } from '../../../src/database/transactions';
import { AuditModule } from '../../../src/modules/audit/audit.module';
import { BROKERAGE_DATA_ADAPTERS } from '../../../src/modules/brokerages/brokerage-data.adapter';
import { RANDOM } from '../../../src/modules/tokens/backoff';
import { TokensService } from '../../../src/modules/tokens/tokens.service';
import { SyncSchedulerService } from '../../../src/modules/sync/sync-scheduler.service';
import { SyncModule } from '../../../src/modules/sync/sync.module';
import { useTestModule } from '../../harness';
import { fakeAccount, FakeDataAdapter, fakeTransaction } from './fake-data-adapter';

/**
 * The sync module on the harness with a fake clock and a scripted brokerage (two accounts, one holding a
 * 20-digit balance), plus the queries the sync specs assert with. Call once per spec file, at the top level.
 */
export function useSyncKit() {
  const HOUR = 3_600_000;
  const T0 = '2026-05-01T12:00:00.000Z';
  const clock = new FakeClock(T0);
  const fake = new FakeDataAdapter();

  const m = useTestModule({
    imports: [AuditModule, SyncModule],
    overrides: [
      { provide: Clock, useValue: clock },
      { provide: BROKERAGE_DATA_ADAPTERS, useValue: new Map([['fake', fake]]) },
      { provide: RANDOM, useValue: () => 0.5 },
    ],
    env: { SYNC_HISTORY_DAYS: '30', SYNC_OVERLAP_DAYS: '3', SYNC_BACKOFF_BASE_MS: '60000' },
  });

  const q = <T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> =>
    m.dataSource.query<T[]>(sql, params);
  const scheduler = () => m.get<SyncSchedulerService>(SyncSchedulerService);

  async function connection(status = 'active'): Promise<string> {
    const id = randomUUID();
    const now = clock.now();
    await m.get<Transactions>(Transactions).run(async (tx) => {
      await tx.manager.query(
        `INSERT INTO provider_connections (id, user_id, provider_key, status, created_at, updated_at) VALUES ($1, $2, 'fake', $3, $4, $4)`,
        [id, randomUUID(), status, now],
      );
      await m
        .get<TokensService>(TokensService)
        .storeFromExchange(
          tx.manager,
          { id, userId: randomUUID(), providerKey: 'fake', status: 'active' },
          { accessToken: `at-${id}`, refreshToken: 'rt', expiresIn: 7 * 24 * 3600 },
        );
    });
    return id;
  }

  const counts = async (connectionId: string) =>
    (
      await q<{ accounts: number; positions: number; txs: number; balances: number }>(
        `SELECT (SELECT count(*)::int FROM brokerage_accounts WHERE connection_id = $1) AS accounts,
           (SELECT count(*)::int FROM account_positions p JOIN brokerage_accounts a ON a.id = p.account_id WHERE a.connection_id = $1) AS positions,
           (SELECT count(*)::int FROM account_transactions t JOIN brokerage_accounts a ON a.id = t.account_id WHERE a.connection_id = $1) AS txs,
           (SELECT count(*)::int FROM account_balances b JOIN brokerage_accounts a ON a.id = b.account_id WHERE a.connection_id = $1) AS balances`,
        [connectionId],
      )
    )[0];

  const conn = async (id: string) =>
    (
      await q(
        `SELECT status, status_reason, sync_status, sync_status_reason, last_synced_at FROM provider_connections WHERE id = $1`,
        [id],
      )
    )[0];
  const events = async (id: string) =>
    (
      await q<{ type: string; data: Record<string, unknown> }>(
        `SELECT type, data FROM connection_events WHERE connection_id = $1 ORDER BY created_at`,
        [id],
      )
    ).filter((e) => !e.type.startsWith('token_'));

  beforeEach(() => {
    clock.set(T0);
    const a1 = fakeAccount(1);
    a1.transactions = [
      fakeTransaction('t1', '2026-04-10', '-1234.56'),
      fakeTransaction('t2', '2026-04-28', '0.01', {
        type: 'dividend',
        quantity: null,
        price: null,
      }),
    ];
    const a2 = fakeAccount(2, {
      cash: '12345678901234567890.12345678',
      total: '12345678901234567890.12345678',
      marketValue: '0',
    });
    fake.accounts = [a1, a2];
    fake.calls = [];
    fake.failAt = undefined;
  });

  return { m, clock, fake, T0, HOUR, q, scheduler, connection, counts, conn, events };
}

import { randomUUID } from 'node:crypto';
import { Clock, FakeClock } from '../../../src/common/clock';
import { Transactions } from '../../../src/database/transactions';
import { AuditModule } from '../../../src/modules/audit/audit.module';
import { BROKERAGE_ADAPTERS } from '../../../src/modules/brokerages/brokerage-adapter';
import { EncryptionService } from '../../../src/modules/encryption/encryption.service';
import { RANDOM } from '../../../src/modules/tokens/backoff';
import { TokensModule } from '../../../src/modules/tokens';
import { TOKEN_SECRET_OWNER } from '../../../src/modules/tokens/token-store.service';
import { TokensService } from '../../../src/modules/tokens/tokens.service';
import { useTestModule } from '../../harness';
import { FakeAdapter } from './fake-adapter';

const MIN = 60_000;
const clock = new FakeClock('2026-05-01T12:00:00.000Z');
const fake = new FakeAdapter();
const m = useTestModule({
  imports: [AuditModule, TokensModule],
  overrides: [
    { provide: Clock, useValue: clock },
    { provide: BROKERAGE_ADAPTERS, useValue: new Map([['fake', fake]]) },
    { provide: RANDOM, useValue: () => 0.5 },
  ],
});
const tokens = () => m.get<TokensService>(TokensService);

beforeEach(() => {
  clock.set('2026-05-01T12:00:00.000Z');
  fake.script = [];
  fake.refreshCalls.length = 0;
  fake.ratePerMinute = 1000;
  const budget = (tokens() as unknown as { budget: { calls: Map<string, number[]> } }).budget;
  budget.calls.clear();
});

async function seed(status = 'active', idToken?: string): Promise<string> {
  const id = randomUUID();
  const userId = randomUUID();
  await m.dataSource.query(
    `INSERT INTO provider_connections (id, user_id, provider_key, status, created_at, updated_at) VALUES ($1, $2, 'fake', $3, $4, $4)`,
    [id, userId, status, clock.now()],
  );
  await m
    .get<Transactions>(Transactions)
    .run((tx) =>
      tokens().storeFromExchange(
        tx.manager,
        { id, userId, providerKey: 'fake', status: 'active' },
        { accessToken: `at0-${id}`, refreshToken: `rt0-${id}`, idToken, expiresIn: 1800 },
      ),
    );
  return id;
}

const tokenRow = async (id: string) =>
  (await m.dataSource.query(`SELECT * FROM provider_tokens WHERE connection_id = $1`, [id]))[0];

const secretRows = async (id: string): Promise<Record<string, string>> => {
  const rows: Array<{ field: string; ciphertext: string }> = await m.dataSource.query(
    `SELECT field, ciphertext FROM secrets WHERE owner_id = $1`,
    [(await tokenRow(id)).id],
  );
  return Object.fromEntries(rows.map((r) => [r.field, r.ciphertext]));
};

const secrets = async (id: string) =>
  m
    .get<EncryptionService>(EncryptionService)
    .readSecrets(m.dataSource.manager, TOKEN_SECRET_OWNER, (await tokenRow(id)).id);

const events = async (id: string): Promise<string[]> =>
  (
    await m.dataSource.query(
      `SELECT type FROM connection_events WHERE connection_id = $1 ORDER BY created_at`,
      [id],
    )
  ).map((e: { type: string }) => e.type);

describe('batched refresh (group commit)', () => {
  it('concurrent refreshes share one claim and one store transaction, each written as alone', async () => {
    const ids = [await seed('active', 'idt0'), await seed('degraded'), await seed(), await seed()];
    const before = await Promise.all(ids.map(secretRows));
    fake.script = [{ accessToken: 'rotated-at', refreshToken: 'rotated-rt', expiresIn: 1800 }];
    clock.advance(26 * MIN); // all due
    const run = jest.spyOn(m.get<Transactions>(Transactions), 'run');
    const outcomes = await Promise.all(ids.map((id) => tokens().refresh(id)));
    expect(run).toHaveBeenCalledTimes(2);
    run.mockRestore();
    expect(outcomes.map((o) => o.result)).toEqual(Array(4).fill('refreshed'));
    // In request order: the first call gets the scripted answer.
    expect(fake.refreshCalls).toEqual(ids.map((id) => `rt0-${id}`));

    for (const id of ids) {
      const row = await tokenRow(id);
      expect(row).toMatchObject({ refresh_count: 1, failure_count: 0, refresh_lease_id: null });
      expect(row.access_token_expires_at).toEqual(new Date(clock.now().getTime() + 1800_000));
      expect((await events(id)).filter((t) => t === 'token_refreshed')).toHaveLength(1);
    }
    // The rotated refresh token is stored; an unchanged one (and the kept id token) is not rewritten.
    expect(await secrets(ids[0])).toEqual({
      access_token: 'rotated-at',
      refresh_token: 'rotated-rt',
      id_token: 'idt0',
    });
    expect((await secretRows(ids[0])).id_token).toBe(before[0].id_token);
    for (const [k, id] of ids.entries()) {
      const after = await secretRows(id);
      expect(after.access_token).not.toBe(before[k].access_token);
      if (k > 0) {
        expect(after.refresh_token).toBe(before[k].refresh_token);
        expect((await secrets(id)).refresh_token).toBe(`rt0-${id}`);
      }
    }
    // degraded → active is a status change of its own.
    expect(await events(ids[1])).toEqual(expect.arrayContaining(['status_changed']));
    const [{ status }] = await m.dataSource.query(
      `SELECT status FROM provider_connections WHERE id = $1`,
      [ids[1]],
    );
    expect(status).toBe('active');
  });

  it('a connection whose secret cannot be read fails alone; the rest of its batch is refreshed', async () => {
    const ids = [await seed(), await seed(), await seed()];
    await m.dataSource.query(
      `UPDATE secrets SET ciphertext = 'not-a-token' WHERE owner_id = $1 AND field = 'refresh_token'`,
      [(await tokenRow(ids[1])).id],
    );
    clock.advance(26 * MIN);
    const results = await Promise.allSettled(ids.map((id) => tokens().refresh(id)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({
      name: 'SecretUnreadableError',
    });
    expect(fake.refreshCalls.sort()).toEqual([`rt0-${ids[0]}`, `rt0-${ids[2]}`].sort());
    expect(await tokenRow(ids[1])).toMatchObject({ refresh_count: 0, refresh_lease_id: null });
  });

  it('the budget is taken for the batch at once: past it, the rest answer brokerage_unavailable', async () => {
    const ids = [await seed(), await seed(), await seed()];
    fake.ratePerMinute = 2;
    clock.advance(26 * MIN);
    const outcomes = await Promise.all(ids.map((id) => tokens().refresh(id)));
    expect(outcomes.map((o) => o.result).sort()).toEqual(['failed', 'refreshed', 'refreshed']);
    const failed = outcomes.find((o) => o.result === 'failed')!;
    expect(failed.error).toMatchObject({ code: 'brokerage_unavailable' });
    expect(fake.refreshCalls).toHaveLength(2);
  });
});

import { randomUUID } from 'node:crypto';
import { Clock, FakeClock } from '../../../src/common/clock';
import { Transactions } from '../../../src/database/transactions';
import { AuditModule } from '../../../src/modules/audit/audit.module';
import { BROKERAGE_ADAPTERS } from '../../../src/modules/brokerages/brokerage-adapter';
import type { TokenSet } from '../../../src/modules/brokerages/brokerage-adapter';
import { TokensModule } from '../../../src/modules/tokens';
import { TokensService } from '../../../src/modules/tokens/tokens.service';
import { useTestModule } from '../../harness';
import { FakeAdapter } from './fake-adapter';

const clock = new FakeClock('2026-05-01T12:00:00.000Z');
const fake = new FakeAdapter();
const m = useTestModule({
  imports: [AuditModule, TokensModule],
  overrides: [
    { provide: Clock, useValue: clock },
    { provide: BROKERAGE_ADAPTERS, useValue: new Map([['fake', fake]]) },
  ],
  env: { TOKEN_FORCED_REFRESHES_PER_USER: '2', TOKEN_FORCED_REFRESH_COOLDOWN_MS: '0' },
});
const tokens = () => m.get<TokensService>(TokensService);

async function seed(userId: string): Promise<string> {
  const id = randomUUID();
  await m.dataSource.query(
    `INSERT INTO provider_connections (id, user_id, provider_key, status, created_at, updated_at) VALUES ($1, $2, 'fake', 'active', $3, $3)`,
    [id, userId, clock.now()],
  );
  await m
    .get<Transactions>(Transactions)
    .run((tx) =>
      tokens().storeFromExchange(
        tx.manager,
        { id, userId, providerKey: 'fake', status: 'active' },
        { accessToken: 'a', refreshToken: `rt-${id}` },
      ),
    );
  return id;
}

describe('forced refreshes per user', () => {
  it('caps the flights one user starts; joining a flight is free; other users are not affected; cooldown 0 refreshes again', async () => {
    const user = randomUUID();
    const [a, b, c] = [await seed(user), await seed(user), await seed(user)];
    const other = await seed(randomUUID());
    const releases: Array<() => void> = [];
    const slow = () =>
      new Promise<TokenSet>((resolve) =>
        releases.push(() => resolve({ accessToken: 'new', expiresIn: 1800 })),
      );
    fake.script = [slow, slow, slow];
    const first = [tokens().forceRefresh(a, user), tokens().forceRefresh(b, user)];
    await waitFor(() => releases.length === 2);
    await expect(tokens().forceRefresh(c, user)).rejects.toMatchObject({
      code: 'too_many_refreshes',
    });
    const joined = tokens().forceRefresh(a, user); // shares a's flight
    const bystander = tokens().forceRefresh(other, randomUUID());
    await waitFor(() => releases.length === 3);
    for (const release of releases) release();
    expect((await Promise.all([...first, joined, bystander])).map((r) => r.refreshCount)).toEqual([
      1, 1, 1, 1,
    ]);
    expect(fake.refreshCalls).toHaveLength(3);
    // The flights are over: the user may start new ones, and with no cooldown a second forced refresh calls again.
    expect((await tokens().forceRefresh(c, user)).refreshCount).toBe(1);
    clock.advance(1_000);
    expect((await tokens().forceRefresh(c, user)).refreshCount).toBe(2);
  });
});

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 100_000 && !cond(); i++) await new Promise((r) => setImmediate(r));
  if (!cond()) throw new Error('condition not reached');
}

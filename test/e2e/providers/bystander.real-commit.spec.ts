import { createActiveConnection } from '../../factories/connection.factory';
import { DATA_SOURCE_FACTORY } from '../../../src/database/database.module';
import { BROKERAGE_ADAPTERS } from '../../../src/modules/brokerages/brokerage-adapter';
import type { TokenSet } from '../../../src/modules/brokerages/brokerage-adapter';
import { createAuthenticatedUser } from '../../factories/auth.factory';
import { describeRealCommit, RealCommitApp } from '../../harness';
import { FakeAdapter } from '../../integration/tokens/fake-adapter';

/** A brokerage whose token endpoint answers only when the test says so. */
class BlockingBrokerage extends FakeAdapter {
  private releaseAll!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.releaseAll = resolve));
  private pending = 0;
  private onPending: Array<[number, () => void]> = [];

  override async refresh(refreshToken: string): Promise<TokenSet> {
    this.refreshCalls.push(refreshToken);
    this.pending++;
    for (const [n, resolve] of this.onPending) if (this.pending >= n) resolve();
    await this.gate;
    this.pending--;
    return { accessToken: `at-new-${refreshToken}`, expiresIn: 1800 };
  }

  waitingCalls(n: number): Promise<void> {
    return this.pending >= n
      ? Promise.resolve()
      : new Promise((resolve) => this.onPending.push([n, resolve]));
  }

  get waiting(): number {
    return this.pending;
  }

  release(): void {
    this.releaseAll();
  }
}

const REFRESHES = 5;

/**
 * A pool of 2 and five forced refreshes of one user stuck on a brokerage: a bystander's request still gets a
 * database connection, because no refresh holds one while it waits (the claim and the write are short
 * transactions on either side of the call).
 */
describeRealCommit(
  'a slow brokerage does not take the pool from bystanders (real commits)',
  (db) => {
    const brokerage = new BlockingBrokerage('slow');
    let app: RealCommitApp;

    beforeAll(async () => {
      app = await db.createApp({
        env: { TOKEN_FORCED_REFRESHES_PER_USER: String(REFRESHES) },
        overrides: [{ provide: BROKERAGE_ADAPTERS, useValue: new Map([['slow', brokerage]]) }],
        customize: (b) =>
          b
            .overrideProvider(DATA_SOURCE_FACTORY)
            .useValue({ create: () => db.newDataSource(2), destroy: async () => undefined }),
      });
    });

    it('answers GET /auth/me while every refresh waits on the brokerage, then the refreshes complete', async () => {
      const owner = await createAuthenticatedUser(app);
      const bystander = await createAuthenticatedUser(app);
      const ids: string[] = [];
      for (let i = 0; i < REFRESHES; i++)
        ids.push(
          await createActiveConnection(app, {
            userId: owner.userId,
            providerKey: 'slow',
            accessToken: `at-${i}`,
            refreshToken: `rt-${i}`,
            expiresIn: 1800,
          }),
        );

      const refreshes = ids.map((id) =>
        app
          .http()
          .post(`/api/v1/providers/${id}/token/refresh`)
          .set(owner.authHeader)
          .then((r) => r),
      );
      await brokerage.waitingCalls(REFRESHES);

      const me = await app.http().get('/api/v1/auth/me').set(bystander.authHeader);
      expect(me.status).toBe(200);
      expect(me.body.id).toBe(bystander.userId);
      expect(brokerage.waiting).toBe(REFRESHES); // answered while all five were still waiting

      brokerage.release();
      const results = await Promise.all(refreshes);
      expect(results.map((r) => r.status)).toEqual(Array(REFRESHES).fill(200));
      expect(results.map((r) => r.body.refreshCount)).toEqual(Array(REFRESHES).fill(1));
      expect(brokerage.refreshCalls.sort()).toEqual(ids.map((_, i) => `rt-${i}`).sort());
    }, 30_000);
  },
);

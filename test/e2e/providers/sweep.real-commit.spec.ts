import { createActiveConnection } from '../../factories/connection.factory';
import { randomUUID } from 'node:crypto';
import { TokenSweepService } from '../../../src/modules/tokens/token-sweep.service';
import { TokensService } from '../../../src/modules/tokens/tokens.service';
import { describeRealCommit, RealCommitApp } from '../../harness';
import { MockBrokerage } from './mock-brokerage';

const N = 60;

describeRealCommit(
  'token refresh across instances (real commits, real OAuth server process)',
  (db) => {
    const mock = new MockBrokerage();
    let a: RealCommitApp;
    let b: RealCommitApp;
    const ids: string[] = [];

    beforeAll(async () => {
      await mock.start();
      const env = {
        ...mock.env(),
        SCHWAB_RATE_PER_MINUTE: '100000',
        TOKEN_SWEEP_BATCH_SIZE: '7',
        TOKEN_SWEEP_CONCURRENCY: '4',
      };
      a = await db.createApp({ env });
      b = await db.createApp({ env });
      // N active Schwab connections, each with its own refresh token, stored through the real code path.
      for (let i = 0; i < N; i++)
        ids.push(
          await createActiveConnection(a, {
            userId: randomUUID(),
            providerKey: 'schwab',
            accessToken: `at-${i}`,
            refreshToken: `rt-${i}`,
            expiresIn: 1800,
          }),
        );
    }, 60_000);
    afterAll(() => mock.stop());

    it('two sweepers running at once refresh every due connection exactly once', async () => {
      await db.dataSource.query(
        `UPDATE provider_tokens SET access_token_expires_at = now() + interval '2 minutes', refresh_due_at = now() - interval '1 minute'`,
      );
      await mock.reset();
      await mock.set({ delayMs: 5 });
      const [ra, rb] = await Promise.all([
        a.get<TokenSweepService>(TokenSweepService).sweepOnce(),
        b.get<TokenSweepService>(TokenSweepService).sweepOnce(),
      ]);

      const calls = await mock.refreshCalls();
      const perToken = new Map<string, number>();
      for (const c of calls)
        perToken.set(c.refreshToken!, (perToken.get(c.refreshToken!) ?? 0) + 1);
      expect(calls).toHaveLength(N);
      expect(perToken.size).toBe(N);
      expect([...perToken.values()].every((n) => n === 1)).toBe(true);
      expect(ra.claimed + rb.claimed).toBe(N);
      expect(ra.refreshed + rb.refreshed).toBe(N);
      // Both took part (batches of 7 interleave), and nothing is left due.
      expect(ra.claimed).toBeGreaterThan(0);
      expect(rb.claimed).toBeGreaterThan(0);
      const rows = await db.dataSource.query(
        `SELECT refresh_count, refresh_due_at > now() AS later FROM provider_tokens`,
      );
      expect(
        rows.every(
          (r: { refresh_count: number; later: boolean }) => r.refresh_count === 1 && r.later,
        ),
      ).toBe(true);
      // A second pass finds nothing to do.
      const again = await a.get<TokenSweepService>(TokenSweepService).sweepOnce();
      expect(again.claimed).toBe(0);
    }, 60_000);

    it('forced refreshes of one connection on two instances make one brokerage call', async () => {
      await mock.reset();
      await mock.set({ delayMs: 100 });
      const id = ids[0];
      // Past the forced-refresh cooldown (the sweep above refreshed it moments ago).
      await db.dataSource.query(
        `UPDATE provider_tokens SET last_refreshed_at = now() - interval '1 minute' WHERE connection_id = $1`,
        [id],
      );
      const results = await Promise.all([
        ...Array.from({ length: 5 }, () => a.get<TokensService>(TokensService).forceRefresh(id)),
        ...Array.from({ length: 5 }, () => b.get<TokensService>(TokensService).forceRefresh(id)),
      ]);
      expect((await mock.stats()).tokenRequests).toBe(1);
      expect(new Set(results.map((r) => r.refreshCount))).toEqual(new Set([2]));
    }, 30_000);
  },
);

import { Clock, FakeClock } from '../../../src/common/clock';
import { SyncSchedulerService } from '../../../src/modules/sync/sync-scheduler.service';
import { createAuthenticatedUser } from '../../factories/auth.factory';
import { useTestApp } from '../../harness';
import { usePublicUrl } from '../../support/public-url';
import { connectSandbox, freshAuthHeader } from './connect';

const clock = new FakeClock('2026-06-15T10:20:00.000Z');
const env: Record<string, string> = {
  SANDBOX_DATA_FAIL: 'data_malformed',
  SANDBOX_ACCESS_TOKEN_TTL_SECONDS: '600',
};
const publicUrl = usePublicUrl(env);
const t = useTestApp({ env, overrides: [{ provide: Clock, useValue: clock }] });
beforeAll(() => publicUrl.serve(t.app));

describe('the sandbox brokerage honours its failure flags through the sync', () => {
  it('a malformed answer on the second account writes nothing and degrades the connection', async () => {
    const user = await createAuthenticatedUser(t, { verified: true });
    const id = await connectSandbox(t, user.authHeader);
    expect((await t.get<SyncSchedulerService>(SyncSchedulerService).runOnce()).failed).toBe(1);
    expect(
      (await t.http().get('/api/v1/accounts').set(user.authHeader).expect(200)).body.items,
    ).toEqual([]);
    const conn = (await t.http().get(`/api/v1/providers/${id}`).set(user.authHeader).expect(200))
      .body;
    expect(conn).toMatchObject({
      status: 'degraded',
      syncStatus: 'failed',
      syncStatusReason: 'malformed_payload',
    });
  });

  it('a refresh the sandbox refuses (sandbox_fail=refresh_invalid_grant) ends in reauth_required', async () => {
    const user = await createAuthenticatedUser(t, { verified: true });
    const id = await connectSandbox(t, user.authHeader, 'refresh_invalid_grant');
    clock.advance(20 * 60_000); // past the 10-minute access token: the sync must refresh first
    await t.get<SyncSchedulerService>(SyncSchedulerService).runOnce();
    const auth = await freshAuthHeader(t, user);
    const conn = (await t.http().get(`/api/v1/providers/${id}`).set(auth).expect(200)).body;
    expect(conn).toMatchObject({
      status: 'reauth_required',
      syncStatus: 'failed',
      syncStatusReason: 'reauth_required',
    });
    const events = (await t.http().get(`/api/v1/providers/${id}/events`).set(auth).expect(200)).body
      .items;
    expect(events.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining(['token_refresh_failed', 'sync_failed']),
    );
  });
});

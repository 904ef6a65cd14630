import { randomUUID } from 'node:crypto';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Clock, FakeClock } from '../../../src/common/clock';
import { Transactions } from '../../../src/database/transactions';
import { AuditModule } from '../../../src/modules/audit/audit.module';
import { EncryptionService } from '../../../src/modules/encryption/encryption.service';
import {
  BROKERAGE_ADAPTERS,
  BrokerageError,
} from '../../../src/modules/brokerages/brokerage-adapter';
import { RANDOM } from '../../../src/modules/tokens/backoff';
import { ConnectionEventsRepository } from '../../../src/modules/connections/connection-events.repository';
import { TokenSweepService } from '../../../src/modules/tokens/token-sweep.service';
import { TokensModule } from '../../../src/modules/tokens';
import { TokensError } from '../../../src/modules/tokens/tokens.errors';
import { TOKEN_SECRET_OWNER } from '../../../src/modules/tokens/token-store.service';
import { TokensService } from '../../../src/modules/tokens/tokens.service';
import { asHttp, HttpError } from '../../support/as-http';
import { useTestModule } from '../../harness';
import { FakeAdapter } from './fake-adapter';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const T0 = '2026-05-01T12:00:00.000Z';

const clock = new FakeClock(T0);
const fake = new FakeAdapter();
const other = new FakeAdapter('other');
const disabled = new FakeAdapter('off');
disabled.enabled = false;
const adapters = new Map([
  ['fake', fake],
  ['other', other],
  ['off', disabled],
]);

const m = useTestModule({
  imports: [AuditModule, TokensModule],
  overrides: [
    { provide: Clock, useValue: clock },
    { provide: BROKERAGE_ADAPTERS, useValue: adapters },
    { provide: RANDOM, useValue: () => 0.5 },
  ],
  env: {
    TOKEN_REFRESH_BACKOFF_BASE_MS: '30000',
    TOKEN_REFRESH_BACKOFF_MAX_MS: '120000',
    TOKEN_SWEEP_BATCH_SIZE: '2',
  },
});

const tokens = () => m.get<TokensService>(TokensService);

beforeEach(() => {
  clock.set(T0);
  for (const a of [fake, other, disabled]) {
    a.script = [];
    a.refreshCalls.length = 0;
    a.revokeCalls.length = 0;
    a.revokeFails = false;
    a.ratePerMinute = 1000;
    a.supportsRevocation = true;
  }
  // A fresh budget per test (it is per process by design).
  const budget = (
    tokens() as unknown as {
      budget: { calls: Map<string, number[]>; pausedUntil: Map<string, number> };
    }
  ).budget;
  budget.calls.clear();
  budget.pausedUntil.clear();
});

/** A connection row (the providers module's table) plus a stored token set. */
async function seed(
  opts: {
    providerKey?: string;
    status?: string;
    refreshToken?: string | null;
    expiresIn?: number;
    idToken?: string;
  } = {},
): Promise<string> {
  const id = randomUUID();
  const now = clock.now();
  await m.dataSource.query(
    `INSERT INTO provider_connections (id, user_id, provider_key, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)`,
    [id, randomUUID(), opts.providerKey ?? 'fake', opts.status ?? 'active', now],
  );
  await m.get<Transactions>(Transactions).run((tx) =>
    tokens().storeFromExchange(
      tx.manager,
      { id, userId: randomUUID(), providerKey: opts.providerKey ?? 'fake', status: 'active' },
      {
        accessToken: `at0-${id}`,
        refreshToken: opts.refreshToken === null ? undefined : (opts.refreshToken ?? `rt0-${id}`),
        idToken: opts.idToken,
        expiresIn: opts.expiresIn ?? 1800,
        scopes: ['read'],
      },
    ),
  );
  return id;
}

async function status(id: string): Promise<{ status: string; status_reason: string | null }> {
  return (
    await m.dataSource.query(
      `SELECT status, status_reason FROM provider_connections WHERE id = $1`,
      [id],
    )
  )[0];
}

async function tokenRow(id: string): Promise<Record<string, unknown>> {
  return (
    await m.dataSource.query(`SELECT * FROM provider_tokens WHERE connection_id = $1`, [id])
  )[0];
}

async function secrets(id: string): Promise<Record<string, string>> {
  const row = await tokenRow(id);
  return m
    .get<EncryptionService>(EncryptionService)
    .readSecrets(m.dataSource.manager, TOKEN_SECRET_OWNER, row.id as string);
}

describe('storage and the hot path', () => {
  it('stores encrypted secrets and metadata; a fresh token is returned without a brokerage call', async () => {
    const id = await seed({ idToken: 'idt' });
    expect(await secrets(id)).toEqual({
      access_token: `at0-${id}`,
      refresh_token: `rt0-${id}`,
      id_token: 'idt',
    });
    expect(await tokens().getMetadata(id)).toEqual({
      accessTokenExpiresAt: '2026-05-01T12:30:00.000Z',
      refreshTokenExpiresAt: '2026-05-08T12:00:00.000Z',
      lastRefreshedAt: null,
      refreshCount: 0,
      scopes: ['read'],
    });
    expect(await tokens().getValidAccessToken(id)).toBe(`at0-${id}`);
    expect(fake.refreshCalls).toEqual([]);
    expect(await tokens().getMetadata(randomUUID())).toBeNull();
  });

  it('refuses unknown, pending and reauth_required connections', async () => {
    await expect(asHttp(tokens().getValidAccessToken(randomUUID()))).rejects.toMatchObject({
      code: 'not_connected',
      status: 409,
    });
    const pending = await seed({ status: 'pending_auth' });
    await expect(tokens().getValidAccessToken(pending)).rejects.toMatchObject({
      code: 'not_connected',
    });
    const reauth = await seed({ status: 'reauth_required' });
    await expect(tokens().getValidAccessToken(reauth)).rejects.toMatchObject({
      code: 'reauth_required',
    });
    await expect(tokens().forceRefresh(reauth)).rejects.toMatchObject({ code: 'reauth_required' });
    expect(fake.refreshCalls).toEqual([]);
  });

  it('re-authorisation reuses the row, resets the grant and drops an id token that is not returned again', async () => {
    const id = await seed({ idToken: 'idt' });
    const before = await tokenRow(id);
    clock.advance(DAY);
    await m
      .get<Transactions>(Transactions)
      .run((tx) =>
        tokens().storeFromExchange(
          tx.manager,
          { id, userId: randomUUID(), providerKey: 'fake', status: 'reauth_required' },
          { accessToken: 'at-new', refreshToken: 'rt-new', refreshTokenExpiresIn: 3600 },
        ),
      );
    const after = await tokenRow(id);
    expect(after.id).toBe(before.id);
    expect(after.refresh_token_expires_at).toEqual(new Date('2026-05-02T13:00:00.000Z'));
    expect(await secrets(id)).toEqual({ access_token: 'at-new', refresh_token: 'rt-new' });
  });
});

describe('refresh', () => {
  it('refreshes when < 5 minutes remain: stores the rotated refresh token, keeps the id token, never extends the hard end', async () => {
    const id = await seed({ idToken: 'idt' });
    fake.script = [
      { accessToken: 'at1', refreshToken: 'rt1', expiresIn: 1800, scopes: ['read', 'trade'] },
    ];
    clock.advance(26 * MIN);
    expect(await tokens().getValidAccessToken(id)).toBe('at1');
    expect(fake.refreshCalls).toEqual([`rt0-${id}`]);
    expect(await secrets(id)).toEqual({
      access_token: 'at1',
      refresh_token: 'rt1',
      id_token: 'idt',
    });
    expect(await tokens().getMetadata(id)).toMatchObject({
      accessTokenExpiresAt: '2026-05-01T12:56:00.000Z',
      refreshTokenExpiresAt: '2026-05-08T12:00:00.000Z',
      lastRefreshedAt: '2026-05-01T12:26:00.000Z',
      refreshCount: 1,
      scopes: ['read', 'trade'],
    });
    const row = await tokenRow(id);
    expect(row.refresh_due_at).toEqual(new Date('2026-05-01T12:51:00.000Z'));
  });

  it('keeps the old refresh token when none is returned; defaults expires_in to 30 minutes; short tokens are due halfway', async () => {
    const id = await seed();
    fake.script = [{ accessToken: 'at1' }, { accessToken: 'at2', expiresIn: 120 }];
    clock.advance(MIN);
    await tokens().forceRefresh(id);
    expect((await secrets(id)).refresh_token).toBe(`rt0-${id}`);
    expect((await tokens().getMetadata(id))!.accessTokenExpiresAt).toBe('2026-05-01T12:31:00.000Z');
    clock.advance(MIN);
    await tokens().forceRefresh(id);
    expect((await tokenRow(id)).refresh_due_at).toEqual(new Date('2026-05-01T12:03:00.000Z'));
  });

  it('no stored refresh token or an unknown brokerage → reauth_required without a call', async () => {
    const noRt = await seed({ refreshToken: null });
    await expect(tokens().forceRefresh(noRt)).rejects.toMatchObject({ code: 'reauth_required' });
    expect(await status(noRt)).toEqual({
      status: 'reauth_required',
      status_reason: 'no_refresh_token',
    });
    const gone = await seed({ providerKey: 'vanished' });
    await expect(tokens().forceRefresh(gone)).rejects.toMatchObject({ code: 'reauth_required' });
    expect(await status(gone)).toEqual({
      status: 'reauth_required',
      status_reason: 'provider_unavailable',
    });
    expect(fake.refreshCalls).toEqual([]);
  });

  it('temporary failures back off exponentially with jitter (random injected) and honour a Retry-After date', async () => {
    const id = await seed();
    fake.script = [
      new BrokerageError('temporary', 'brokerage_error', 502),
      new BrokerageError('temporary', 'timeout'),
      new BrokerageError(
        'rate_limited',
        'rate_limited',
        429,
        new Date(Date.parse(T0) + 40 * MIN).toUTCString(),
      ),
    ];
    clock.advance(26 * MIN); // 12:26
    const first = await asHttp(tokens().forceRefresh(id)).catch((e: HttpError) => e);
    expect(first).toMatchObject({
      status: 503,
      code: 'brokerage_unavailable',
      headers: { 'Retry-After': '23' },
    }); // 15 s + 0.5 × 15 s
    expect(await status(id)).toEqual({ status: 'degraded', status_reason: 'brokerage_error' });
    clock.advance(23_000);
    await expect(asHttp(tokens().forceRefresh(id))).rejects.toMatchObject({
      headers: { 'Retry-After': '45' },
    }); // 30 s + 15 s
    clock.advance(45_000);
    // Retry-After (an HTTP date, 12:40 → ~12.9 minutes from now) beats the 90 s backoff.
    const third = (await asHttp(tokens().forceRefresh(id)).catch((e: HttpError) => e)) as HttpError;
    expect(Number(third.headers['Retry-After'])).toBeGreaterThan(500);
    expect((await tokenRow(id)).failure_count).toBe(3);
    const events = await m.get<ConnectionEventsRepository>(ConnectionEventsRepository).list(id, 50);
    expect(events.filter((e) => e.type === 'token_refresh_failed')).toHaveLength(3);
    expect(events.filter((e) => e.type === 'status_changed')).toHaveLength(1);
  });

  it('during a backoff nothing is called; a still-valid token keeps serving; an expired one fails with 503', async () => {
    const id = await seed();
    fake.script = [new BrokerageError('temporary', 'brokerage_error', 500)];
    clock.advance(26 * MIN);
    expect(await tokens().getValidAccessToken(id)).toBe(`at0-${id}`); // failed, but 4 minutes left
    expect(fake.refreshCalls).toHaveLength(1);
    const outcome = await tokens().refresh(id); // sweep-style, during backoff
    expect(outcome.result).toBe('failed');
    expect(fake.refreshCalls).toHaveLength(1);
    clock.advance(5 * MIN); // expired, backoff over, brokerage still down
    fake.script = [new BrokerageError('temporary', 'brokerage_error', 500)];
    await expect(tokens().getValidAccessToken(id)).rejects.toMatchObject({
      code: 'brokerage_unavailable',
    });
    // Recovery: back to active, failure counters cleared.
    clock.advance(2 * MIN);
    expect(await tokens().getValidAccessToken(id)).toBe('at-3');
    expect(await status(id)).toEqual({ status: 'active', status_reason: null });
    expect(await tokenRow(id)).toMatchObject({
      failure_count: 0,
      next_attempt_at: null,
      last_error_code: null,
    });
  });

  it('a degraded connection is refreshed by the sweep even with time left on its token', async () => {
    const id = await seed();
    fake.script = [new BrokerageError('temporary', 'brokerage_error', 500)];
    clock.advance(MIN);
    await expect(tokens().forceRefresh(id)).rejects.toBeInstanceOf(TokensError);
    clock.advance(MIN);
    expect((await tokens().refresh(id)).result).toBe('refreshed');
    expect(await status(id)).toEqual({ status: 'active', status_reason: null });
  });

  it('reauth_required from the brokerage stops refreshing and audits', async () => {
    const id = await seed();
    fake.script = [new BrokerageError('reauth_required', 'invalid_grant', 400)];
    clock.advance(MIN);
    await expect(tokens().forceRefresh(id)).rejects.toMatchObject({ code: 'reauth_required' });
    expect((await tokenRow(id)).refresh_due_at).toBeNull();
    const audit = await m.dataSource.query(
      `SELECT data FROM audit_events WHERE type = 'provider.reauth_required'`,
    );
    expect(audit.map((a: { data: { connectionId: string } }) => a.data.connectionId)).toContain(id);
  });

  it('expiring when the refresh token ends within 24 h (audited); past its end → reauth_required without a call', async () => {
    const id = await seed();
    clock.advance(6 * DAY + MIN);
    await tokens().forceRefresh(id);
    expect(await status(id)).toEqual({ status: 'expiring', status_reason: null });
    clock.advance(DAY);
    await expect(tokens().forceRefresh(id)).rejects.toMatchObject({ code: 'reauth_required' });
    expect(await status(id)).toEqual({
      status: 'reauth_required',
      status_reason: 'refresh_token_expired',
    });
    expect(fake.refreshCalls).toHaveLength(1);
  });

  it('single flight: concurrent callers share one call; a forced caller behind a no-op flight refreshes itself', async () => {
    const id = await seed();
    clock.advance(MIN);
    let release!: () => void;
    fake.script = [
      () =>
        new Promise(
          (resolve) => (release = () => resolve({ accessToken: 'slow', expiresIn: 1800 })),
        ),
    ];
    const all = Array.from({ length: 10 }, () => tokens().forceRefresh(id));
    await new Promise((r) => setImmediate(r));
    await waitFor(() => release !== undefined);
    release();
    const results = await Promise.all(all);
    expect(fake.refreshCalls).toHaveLength(1);
    expect(new Set(results.map((r) => r.refreshCount))).toEqual(new Set([1]));
    // Non-forced (nothing due) then forced at once: the forced one does not stop at "fresh".
    clock.advance(MIN);
    const [plain, forced] = await Promise.all([
      tokens().refresh(id),
      tokens().refresh(id, { force: true }),
    ]);
    expect(plain.result).toBe('fresh');
    expect(forced.result).toBe('refreshed');
    expect(fake.refreshCalls).toHaveLength(2);
  });

  it('single flight: overlapping callers run the refresh body once (not saved by the "shared" checks)', async () => {
    const id = await seed();
    clock.advance(26 * MIN); // due: non-forced callers refresh
    let release!: () => void;
    fake.script = [
      () =>
        new Promise(
          (resolve) => (release = () => resolve({ accessToken: 'slow', expiresIn: 1800 })),
        ),
    ];
    const body = jest.spyOn(
      tokens() as unknown as { refreshLocked: () => Promise<unknown> },
      'refreshLocked',
    );
    const first = tokens().refresh(id);
    await waitFor(() => release !== undefined);
    clock.advance(10_000); // later callers start after the first one's refresh time
    const rest = Array.from({ length: 5 }, () => tokens().refresh(id));
    release();
    const outcomes = await Promise.all([first, ...rest]);
    expect(body).toHaveBeenCalledTimes(1);
    body.mockRestore();
    expect(outcomes.map((o) => o.result)).toEqual(Array(6).fill('refreshed'));
    expect(fake.refreshCalls).toHaveLength(1);
  });

  it('locks the connection row before the token row (the order DELETE and the OAuth completion use)', async () => {
    const id = await seed();
    const repo = (
      tokens() as unknown as {
        repo: { lockConnection: () => Promise<void>; lock: () => Promise<unknown> };
      }
    ).repo;
    const connectionLock = jest.spyOn(repo, 'lockConnection');
    const tokenLock = jest.spyOn(repo, 'lock');
    clock.advance(MIN);
    await tokens().forceRefresh(id);
    expect(connectionLock).toHaveBeenCalledTimes(1);
    expect(tokenLock).toHaveBeenCalledTimes(1);
    expect(connectionLock.mock.invocationCallOrder[0]).toBeLessThan(
      tokenLock.mock.invocationCallOrder[0],
    );
    connectionLock.mockRestore();
    tokenLock.mockRestore();
  });

  it('forced refresh: cooldown answers "shared" without a call; an exhausted budget gives 503 + Retry-After', async () => {
    const id = await seed();
    fake.ratePerMinute = 1;
    clock.advance(MIN);
    expect((await tokens().refresh(id, { force: true })).result).toBe('refreshed');
    clock.advance(29_000);
    expect((await tokens().refresh(id, { force: true })).result).toBe('shared');
    clock.advance(2_000); // cooldown over, but the one call per minute is used
    const err = (await asHttp(tokens().forceRefresh(id)).catch((e: HttpError) => e)) as HttpError;
    expect(err).toMatchObject({
      status: 503,
      code: 'brokerage_unavailable',
      headers: { 'Retry-After': '29' },
    });
    expect(fake.refreshCalls).toHaveLength(1);
    expect((await tokenRow(id)).failure_count).toBe(0); // our own budget, not a brokerage failure
  });

  it('a 429 pauses the brokerage until Retry-After: the sweep calls nothing meanwhile', async () => {
    const sweep = m.get<TokenSweepService>(TokenSweepService);
    const a = await seed();
    const b = await seed();
    clock.advance(26 * MIN); // both due
    fake.script = [new BrokerageError('rate_limited', 'rate_limited', 429, '120')];
    await expect(asHttp(tokens().forceRefresh(a))).rejects.toMatchObject({ status: 503 });
    expect(await sweep.sweepOnce()).toEqual({ claimed: 0, refreshed: 0, failed: 0, skipped: 0 });
    expect(fake.refreshCalls).toEqual([`rt0-${a}`]);
    clock.advance(121_000);
    expect(await sweep.sweepOnce()).toMatchObject({ claimed: 2, refreshed: 2 });
    expect(fake.refreshCalls).toEqual(expect.arrayContaining([`rt0-${b}`]));
  });

  it('a refresh token past its end gives 409 reauth_required even during a backoff', async () => {
    const id = await seed();
    fake.script = [new BrokerageError('temporary', 'brokerage_error', 500)];
    clock.advance(MIN);
    await expect(asHttp(tokens().forceRefresh(id))).rejects.toMatchObject({ status: 503 });
    await m.dataSource.query(
      `UPDATE provider_tokens SET refresh_token_expires_at = $2, next_attempt_at = $3 WHERE connection_id = $1`,
      [id, new Date(clock.now().getTime() - 1), new Date(clock.now().getTime() + 10 * MIN)],
    );
    await expect(asHttp(tokens().forceRefresh(id))).rejects.toMatchObject({
      status: 409,
      code: 'reauth_required',
    });
    expect(await status(id)).toEqual({
      status: 'reauth_required',
      status_reason: 'refresh_token_expired',
    });
  });

  it('a refresh finished by someone else while waiting for the lock is reused ("shared")', async () => {
    const id = await seed();
    clock.advance(MIN);
    await tokens().forceRefresh(id);
    // Same instant as the last refresh: another instance's refresh completed after this call started.
    expect((await tokens().refresh(id, { force: true })).result).toBe('shared');
    expect(fake.refreshCalls).toHaveLength(1);
  });
});

describe('destroy', () => {
  it('deletes secrets and metadata, then revokes after commit; a failed revocation is ignored', async () => {
    const id = await seed();
    await m.get<Transactions>(Transactions).run((tx) => tokens().destroy(tx, id));
    expect(await tokenRow(id)).toBeUndefined();
    expect(fake.revokeCalls).toEqual([[`rt0-${id}`, 'refresh_token']]);
    const events = await m.get<ConnectionEventsRepository>(ConnectionEventsRepository).list(id, 10);
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['token_destroyed', 'token_revoked']),
    );

    const second = await seed({ refreshToken: null });
    fake.revokeFails = true;
    await m.get<Transactions>(Transactions).run((tx) => tokens().destroy(tx, second));
    expect(fake.revokeCalls.at(-1)).toEqual([`at0-${second}`, 'access_token']);
    expect(await tokenRow(second)).toBeUndefined();

    fake.supportsRevocation = false;
    const third = await seed();
    await m.get<Transactions>(Transactions).run((tx) => tokens().destroy(tx, third));
    expect(fake.revokeCalls).toHaveLength(2);
    await m.get<Transactions>(Transactions).run((tx) => tokens().destroy(tx, randomUUID())); // nothing there: no-op
  });
});

describe('sweep', () => {
  const sweep = () => m.get<TokenSweepService>(TokenSweepService);

  it('refreshes due connections of enabled brokerages in batches, within the per-brokerage budget', async () => {
    const due = [await seed(), await seed(), await seed(), await seed(), await seed()];
    const notDue = await seed({ expiresIn: 3600 });
    await seed({ providerKey: 'off' });
    const reauth = await seed({ status: 'reauth_required' });
    fake.ratePerMinute = 3;
    clock.advance(26 * MIN);
    const report = await sweep().sweepOnce();
    expect(report).toEqual({ claimed: 3, refreshed: 3, failed: 0, skipped: 0 });
    expect(disabled.refreshCalls).toEqual([]);
    // Next minute: the budget allows the rest.
    clock.advance(MIN);
    expect(await sweep().sweepOnce()).toEqual({ claimed: 2, refreshed: 2, failed: 0, skipped: 0 });
    expect(new Set(fake.refreshCalls)).toEqual(new Set(due.map((id) => `rt0-${id}`)));
    for (const id of [notDue, reauth]) expect(fake.refreshCalls).not.toContain(`rt0-${id}`);
  });

  it('counts failures, skips rows that are no longer due, and survives a crashing refresh', async () => {
    const [a, b, c] = [await seed(), await seed(), await seed()];
    fake.script = [new BrokerageError('temporary', 'brokerage_error', 500)];
    clock.advance(26 * MIN);
    const real = TokensService.prototype.refresh;
    const spy = jest.spyOn(tokens(), 'refresh').mockImplementation(async function (
      this: TokensService,
      id,
      opts,
    ) {
      if (id === b) {
        // Refreshed elsewhere after being claimed: no longer due when the sweeper gets to it.
        await m.dataSource.query(
          `UPDATE provider_tokens SET access_token_expires_at = $2 WHERE connection_id = $1`,
          [b, new Date(clock.now().getTime() + 3600_000)],
        );
      }
      if (id === c) throw new Error('boom');
      return real.call(this, id, opts);
    });
    const report = await sweep().sweepOnce();
    spy.mockRestore();
    expect(report).toEqual({ claimed: 3, refreshed: 0, failed: 2, skipped: 1 });
    expect(fake.refreshCalls).toEqual([`rt0-${a}`]);
    // The leased rows come back when the lease expires (crash) or at the backoff (failure); b is not due.
    clock.advance(3 * MIN);
    const again = await sweep().sweepOnce();
    expect(again).toEqual({ claimed: 2, refreshed: 2, failed: 0, skipped: 0 });
    expect(fake.refreshCalls.slice(1).sort()).toEqual([`rt0-${a}`, `rt0-${c}`].sort());
  });

  it('tick() never overlaps and never throws', async () => {
    const s = sweep();
    const spy = jest.spyOn(s, 'sweepOnce').mockRejectedValueOnce(new Error('db down'));
    await expect(s.tick()).resolves.toBeUndefined();
    let release!: () => void;
    spy.mockImplementationOnce(
      () =>
        new Promise(
          (r) => (release = () => r({ claimed: 1, refreshed: 1, failed: 0, skipped: 0 })),
        ),
    );
    const first = s.tick();
    await s.tick(); // skipped while the first runs
    release();
    await first;
    expect(spy).toHaveBeenCalledTimes(2);
    spy.mockRestore();
  });

  it('is not scheduled under NODE_ENV=test; is scheduled (and unscheduled) otherwise', () => {
    const registry = m.get<SchedulerRegistry>(SchedulerRegistry);
    expect(registry.getIntervals()).not.toContain('provider-token-sweep');
    const s = sweep() as unknown as {
      config: { app: { nodeEnv: string }; providers: { sweep: { enabled: boolean } } };
    };
    const saved = s.config;
    s.config = {
      ...saved,
      app: { ...saved.app, nodeEnv: 'development' },
      providers: { ...saved.providers, sweep: { ...saved.providers.sweep, enabled: true } },
    };
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const tick = jest.spyOn(sweep(), 'tick').mockResolvedValue(undefined);
    try {
      sweep().onApplicationBootstrap();
      expect(registry.getIntervals()).toContain('provider-token-sweep');
      jest.advanceTimersByTime(60_000);
      expect(tick).toHaveBeenCalledTimes(1);
      sweep().onApplicationShutdown();
      expect(registry.getIntervals()).not.toContain('provider-token-sweep');
    } finally {
      s.config = saved;
      tick.mockRestore();
      jest.useRealTimers();
    }
  });
});

// Bounded by time, not by event-loop turns: on a loaded machine the queries before the condition can outlast
// any fixed number of turns (1000 turns failed the file under load).
async function waitFor(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setImmediate(r));
  if (!cond()) throw new Error('condition not reached');
}

describe('edge cases', () => {
  it('metadata without a refresh-token end; default scopes from the adapter', async () => {
    other.refreshTokenLifetimeMs = null;
    const id = randomUUID();
    await m.dataSource.query(
      `INSERT INTO provider_connections (id, user_id, provider_key, status, created_at, updated_at) VALUES ($1, $2, 'other', 'active', $3, $3)`,
      [id, randomUUID(), clock.now()],
    );
    const st = await m
      .get<Transactions>(Transactions)
      .run((tx) =>
        tokens().storeFromExchange(
          tx.manager,
          { id, userId: randomUUID(), providerKey: 'other', status: 'pending_auth' },
          { accessToken: 'a', refreshToken: 'r' },
        ),
      );
    expect(st).toBe('active');
    expect(await tokens().getMetadata(id)).toMatchObject({
      refreshTokenExpiresAt: null,
      scopes: ['read'],
    });
    other.refreshTokenLifetimeMs = 7 * DAY;
  });

  it('a non-forced refresh with nothing due changes nothing; repeated backoff checks do not rewrite the row', async () => {
    const id = await seed();
    const before = await tokenRow(id);
    expect((await tokens().refresh(id)).result).toBe('fresh');
    expect((await tokenRow(id)).updated_at).toEqual(before.updated_at);
    fake.script = [new BrokerageError('temporary', 'brokerage_error', 500)];
    clock.advance(26 * MIN);
    await tokens().refresh(id);
    const failed = await tokenRow(id);
    expect((await tokens().refresh(id)).result).toBe('failed');
    expect((await tokens().refresh(id)).result).toBe('failed');
    expect(await tokenRow(id)).toEqual(failed);
  });

  it('a token row whose access-token secret vanished reads as not connected', async () => {
    const id = await seed();
    const row = await tokenRow(id);
    await m.dataSource.query(`DELETE FROM secrets WHERE owner_id = $1 AND field = 'access_token'`, [
      row.id,
    ]);
    await expect(tokens().getValidAccessToken(id)).rejects.toMatchObject({ code: 'not_connected' });
  });

  it('the sweep counts claimed rows that turned out fresh as skipped; events page with a cursor', async () => {
    const id = await seed();
    await m.dataSource.query(
      `UPDATE provider_tokens SET refresh_due_at = $1 WHERE connection_id = $2`,
      [clock.now(), id],
    );
    const report = await m.get<TokenSweepService>(TokenSweepService).sweepOnce();
    expect(report).toEqual({ claimed: 1, refreshed: 0, failed: 0, skipped: 1 });
    expect((await tokenRow(id)).refresh_due_at).toEqual(new Date('2026-05-01T12:25:00.000Z'));
    const repo = m.get<ConnectionEventsRepository>(ConnectionEventsRepository);
    await m.get<Transactions>(Transactions).run(async (tx) => {
      await repo.record(tx.manager, id, 'status_changed');
      await repo.record(tx.manager, id, 'status_changed', { n: 2 });
    });
    const first = await repo.list(id, 2);
    const rest = await repo.list(id, 10, first[1]);
    expect(first.length + rest.length).toBe(3);
    expect(rest.map((e) => e.id)).not.toContain(first[0].id);
    await m.get<TokenSweepService>(TokenSweepService).tick(); // nothing due: quiet
  });
});

import { Clock, FakeClock } from '../../../src/common/clock';
import { LoginService } from '../../../src/modules/auth/login.service';
import { TokensService } from '../../../src/modules/tokens/tokens.service';
import { createAuthenticatedUser, AuthenticatedUser } from '../../factories/auth.factory';
import { useTestApp } from '../../harness';
import { MockBrokerage } from './mock-brokerage';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const FRONTEND = 'https://app.dashtam.test';

const mock = new MockBrokerage();
const env: Record<string, string> = {};
beforeAll(async () => {
  await mock.start();
  Object.assign(env, mock.env(), {
    FRONTEND_URL: FRONTEND,
    ACCESS_TOKEN_TTL_SECONDS: '3600',
    PROVIDERS_REQUEST_TIMEOUT_MS: '1000',
    TOKEN_REFRESH_BACKOFF_BASE_MS: '30000',
  });
});
afterAll(() => mock.stop());

const clock = new FakeClock('2026-03-02T10:00:00.000Z');
const t = useTestApp({ env, overrides: [{ provide: Clock, useValue: clock }] });

let user: AuthenticatedUser;
beforeEach(async () => {
  clock.set('2026-03-02T10:00:00.000Z');
  await mock.reset();
  // The rate budget (and a 429's pause) is per process by design: a fresh one per test.
  const budget = (
    t.get<TokensService>(TokensService) as unknown as {
      budget: { calls: Map<string, number[]>; pausedUntil: Map<string, number> };
    }
  ).budget;
  budget.calls.clear();
  budget.pausedUntil.clear();
  user = await createAuthenticatedUser(t, { verified: true });
});

/** A fresh bearer token for `u` at the clock's current time (the fake clock may have moved past the first one). */
async function auth(u: AuthenticatedUser): Promise<{ Authorization: string }> {
  const tokens = await t
    .get<LoginService>(LoginService)
    .login({ email: u.email, password: u.password }, { ip: '127.0.0.1', userAgent: 'test' });
  return { Authorization: `Bearer ${tokens.accessToken}` };
}

async function createConnection(u = user, providerKey = 'schwab'): Promise<string> {
  const res = await t
    .http()
    .post('/api/v1/providers')
    .set(u.authHeader)
    .send({ providerKey, alias: 'Main' })
    .expect(201);
  return res.body.id as string;
}

/** The binding cookie of the last flow started (what the browser that started it would send back). */
let browserCookie = '';

async function startFlow(
  id: string,
  u = user,
): Promise<{ authorizationUrl: string; expiresAt: string }> {
  const res = await t
    .http()
    .post(`/api/v1/providers/${id}/authorization`)
    .set(await auth(u))
    .expect(201);
  browserCookie = String(res.headers['set-cookie']?.[0] ?? '').split(';')[0]!;
  return res.body;
}

/** The browser callback, from the browser that started the last flow unless `cookie` says otherwise. */
function callback(query: Record<string, unknown>, cookie = browserCookie) {
  const req = t.http().get('/api/v1/providers/oauth/callback').query(query);
  return cookie ? req.set('Cookie', cookie) : req;
}

/** Start → the brokerage's authorize page → the browser callback; returns the callback's redirect target. */
async function connectViaBrowser(id: string, u = user): Promise<URL> {
  const { authorizationUrl } = await startFlow(id, u);
  const back = await mock.authorize(authorizationUrl);
  const res = await callback({ code: back.get('code'), state: back.get('state') }).expect(302);
  return new URL(res.headers.location);
}

async function connected(u = user): Promise<string> {
  const id = await createConnection(u);
  const target = await connectViaBrowser(id, u);
  expect(target.searchParams.get('result')).toBe('connected');
  return id;
}

describe('catalog and connections', () => {
  it('lists schwab (configured) and the sandbox outside production', async () => {
    const res = await t.http().get('/api/v1/provider-types').set(user.authHeader).expect(200);
    expect(res.body).toEqual(
      expect.arrayContaining([
        { key: 'schwab', name: 'Charles Schwab', authType: 'oauth2', scopes: [], enabled: true },
        expect.objectContaining({ key: 'sandbox', enabled: true }),
      ]),
    );
  });

  it('creates a pending connection; unknown provider → 400; unverified email → 403', async () => {
    const res = await t
      .http()
      .post('/api/v1/providers')
      .set(user.authHeader)
      .send({ providerKey: 'schwab' })
      .expect(201);
    expect(res.body).toMatchObject({ providerKey: 'schwab', alias: null, status: 'pending_auth' });
    expect(res.body.createdAt).toBe('2026-03-02T10:00:00.000Z');
    const bad = await t
      .http()
      .post('/api/v1/providers')
      .set(user.authHeader)
      .send({ providerKey: 'nope' })
      .expect(400);
    expect(bad.body.code).toBe('unknown_provider');
    const unverified = await createAuthenticatedUser(t, { verified: false });
    const forbidden = await t
      .http()
      .post('/api/v1/providers')
      .set(unverified.authHeader)
      .send({ providerKey: 'schwab' })
      .expect(403);
    expect(forbidden.body.code).toBe('email_not_verified');
  });

  it('paginates newest first with an opaque cursor', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push(await createConnection());
      clock.advance(1000);
    }
    const h = await auth(user);
    const first = await t.http().get('/api/v1/providers?limit=2').set(h).expect(200);
    expect(first.body.items.map((c: { id: string }) => c.id)).toEqual([ids[2], ids[1]]);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await t
      .http()
      .get(`/api/v1/providers?limit=2&cursor=${first.body.nextCursor}`)
      .set(h)
      .expect(200);
    expect(second.body.items.map((c: { id: string }) => c.id)).toEqual([ids[0]]);
    expect(second.body.nextCursor).toBeNull();
    await t.http().get('/api/v1/providers?cursor=not-a-cursor!').set(h).expect(400);
    await t.http().get('/api/v1/providers?limit=1000').set(h).expect(400);
  });

  it('pages events on exact timestamps: several events in one millisecond across a page boundary', async () => {
    const id = await createConnection();
    // Microseconds apart, all in the same millisecond (a JS Date cannot tell them apart).
    const inserted: Array<{ id: string }> = await t.dataSource.query(
      `INSERT INTO connection_events (connection_id, type, created_at)
       SELECT $1, 'token_refreshed', timestamptz '2030-01-01 00:00:00.000100+00' + n * interval '100 microseconds'
       FROM generate_series(0, 4) n RETURNING id`,
      [id],
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: Array<{ id: string }>; nextCursor: string | null } } = await t
        .http()
        .get(`/api/v1/providers/${id}/events?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
        .set(user.authHeader)
        .expect(200);
      seen.push(...res.body.items.map((e: { id: string }) => e.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(inserted.length + 1); // + the status_changed of the creation
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.slice(0, inserted.length)).toEqual(inserted.map((r) => r.id).reverse());
  });

  it('renames with PATCH', async () => {
    const id = await createConnection();
    const res = await t
      .http()
      .patch(`/api/v1/providers/${id}`)
      .set(user.authHeader)
      .send({ alias: 'IRA' })
      .expect(200);
    expect(res.body.alias).toBe('IRA');
    await t
      .http()
      .patch(`/api/v1/providers/${id}`)
      .set(user.authHeader)
      .send({ alias: 'x'.repeat(101) })
      .expect(400);
  });
});

describe('connect flow', () => {
  it('binds the browser callback to the browser that started the flow (authorization-code injection)', async () => {
    const id = await createConnection();
    const res = await t
      .http()
      .post(`/api/v1/providers/${id}/authorization`)
      .set(await auth(user))
      .expect(201);
    const setCookie = String(res.headers['set-cookie']?.[0]);
    expect(setCookie).toMatch(/^dashtam_oauth_binding=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toContain('Path=/api/v1/providers/oauth/callback');
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Lax');
    expect(JSON.stringify(res.body)).not.toContain(setCookie.split(';')[0].split('=')[1]);
    const mine = setCookie.split(';')[0];
    const back = await mock.authorize(res.body.authorizationUrl);
    const q = { code: back.get('code'), state: back.get('state') };
    // The victim's browser: no cookie, or another flow's cookie → refused, nothing named, state not consumed.
    for (const cookie of ['', 'dashtam_oauth_binding=someone-else']) {
      const refused = await callback(q, cookie).expect(302);
      expect(Object.fromEntries(new URL(refused.headers.location).searchParams)).toEqual({
        result: 'error',
        reason: 'state_mismatch',
      });
    }
    expect(
      (await mock.stats()).calls.filter((c) => c.grantType === 'authorization_code'),
    ).toHaveLength(0);
    // The browser that started it still completes.
    const ok = await callback(q, mine).expect(302);
    expect(new URL(ok.headers.location).searchParams.get('result')).toBe('connected');
  });

  it('browser callback: PKCE S256 + state in the URL, tokens stored encrypted, 302 to the frontend, connection active', async () => {
    const id = await createConnection();
    const { authorizationUrl, expiresAt } = await startFlow(id);
    const url = new URL(authorizationUrl);
    expect(`${url.origin}${url.pathname}`).toBe(`${mock.url}/authorize`);
    expect(url.searchParams.get('client_id')).toBe(mock.clientId);
    expect(url.searchParams.get('redirect_uri')).toBe(env.SCHWAB_REDIRECT_URI);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(url.searchParams.get('state')!, 'base64url').length).toBeGreaterThanOrEqual(
      16,
    );
    expect(expiresAt).toBe('2026-03-02T10:10:00.000Z');

    const back = await mock.authorize(authorizationUrl);
    const res = await callback({
      code: back.get('code'),
      state: back.get('state'),
      session: 'abc',
    }).expect(302);
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    const target = new URL(res.headers.location);
    expect(target.origin).toBe(FRONTEND);
    expect(Object.fromEntries(target.searchParams)).toEqual({
      connection: id,
      result: 'connected',
    });
    const stats = await mock.stats();
    expect(res.text ?? '').not.toContain(stats.accessTokens.at(-1)!);

    // Exchange used HTTP Basic client credentials and the PKCE verifier.
    const exchange = stats.calls.find((c) => c.grantType === 'authorization_code')!;
    expect(exchange.authorization).toBe(
      `Basic ${Buffer.from(`${mock.clientId}:${mock.clientSecret}`).toString('base64')}`,
    );
    expect(exchange.codeVerifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);

    const conn = await t.http().get(`/api/v1/providers/${id}`).set(user.authHeader).expect(200);
    expect(conn.body).toMatchObject({
      id,
      status: 'active',
      connectedAt: '2026-03-02T10:00:00.000Z',
    });
    const meta = await t
      .http()
      .get(`/api/v1/providers/${id}/token`)
      .set(user.authHeader)
      .expect(200);
    expect(meta.body).toEqual({
      accessTokenExpiresAt: '2026-03-02T10:30:00.000Z',
      refreshTokenExpiresAt: '2026-03-09T10:00:00.000Z',
      lastRefreshedAt: null,
      refreshCount: 0,
      scopes: ['api'],
    });
    // Never a token in a response; at rest only ciphertext.
    const access = stats.accessTokens.at(-1)!;
    expect(JSON.stringify(meta.body)).not.toContain(access);
    const rows: Array<{ ciphertext: string }> = await t.dataSource.query(
      `SELECT ciphertext FROM secrets WHERE owner_type = 'provider_token'`,
    );
    expect(rows).toHaveLength(3); // access, refresh, id token
    for (const r of rows) expect(String(r.ciphertext)).not.toContain(access.slice(0, 40));
    expect(await t.get<TokensService>(TokensService).getValidAccessToken(id)).toBe(access);

    const events = await t
      .http()
      .get(`/api/v1/providers/${id}/events`)
      .set(user.authHeader)
      .expect(200);
    expect(events.body.items.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining(['status_changed', 'authorization_started', 'token_stored']),
    );
  });
});

describe('connect flow: JSON completion and refusals', () => {
  it('JSON callback completes the same flow and answers the connection', async () => {
    const id = await createConnection();
    const { authorizationUrl } = await startFlow(id);
    const back = await mock.authorize(authorizationUrl);
    const res = await t
      .http()
      .post(`/api/v1/providers/${id}/authorization/callback`)
      .set(await auth(user))
      .send({ code: back.get('code'), state: back.get('state') })
      .expect(200);
    expect(res.body).toMatchObject({ id, status: 'active' });
    expect(JSON.stringify(res.body)).not.toMatch(/token/i);
  });

  it('JSON callback: brokerage down → 502 brokerage_unavailable; unverified user cannot start a flow (403)', async () => {
    const id = await createConnection();
    const { authorizationUrl } = await startFlow(id);
    const back = await mock.authorize(authorizationUrl);
    await mock.set({ fail: { status: 500, body: { error: 'server_error' } } });
    const res = await t
      .http()
      .post(`/api/v1/providers/${id}/authorization/callback`)
      .set(await auth(user))
      .send({ code: back.get('code'), state: back.get('state') })
      .expect(502);
    expect(res.body.code).toBe('brokerage_unavailable');
    const conn = await t.http().get(`/api/v1/providers/${id}`).set(user.authHeader).expect(200);
    expect(conn.body.status).toBe('pending_auth');

    const unverified = await createAuthenticatedUser(t, { verified: false });
    // Their connection (made while verified, say): starting the flow still needs a verified email.
    const [own] = await t.dataSource.query(
      `INSERT INTO provider_connections (user_id, provider_key, status, created_at, updated_at) VALUES ($1, 'schwab', 'pending_auth', now(), now()) RETURNING id`,
      [unverified.userId],
    );
    const forbidden = await t
      .http()
      .post(`/api/v1/providers/${own.id}/authorization`)
      .set(unverified.authHeader)
      .expect(403);
    expect(forbidden.body.code).toBe('email_not_verified');
    expect(forbidden.headers['set-cookie']).toBeUndefined();
  });

  it('a replayed state is refused and leaves the connection as it was', async () => {
    const id = await createConnection();
    const { authorizationUrl } = await startFlow(id);
    const back = await mock.authorize(authorizationUrl);
    const q = { code: back.get('code'), state: back.get('state') };
    await callback(q).expect(302);
    const again = await callback(q).expect(302);
    expect(Object.fromEntries(new URL(again.headers.location).searchParams)).toEqual({
      connection: id,
      result: 'error',
      reason: 'state_replayed',
    });
  });

  it('an unknown or missing state → invalid_state without naming any connection', async () => {
    for (const query of [{ code: 'abc', state: 'A'.repeat(43) }, { code: 'abc' }]) {
      const res = await callback(query).expect(302);
      expect(Object.fromEntries(new URL(res.headers.location).searchParams)).toEqual({
        result: 'error',
        reason: 'invalid_state',
      });
    }
  });

  it('an expired state (over 10 minutes) is refused and no tokens are stored', async () => {
    const id = await createConnection();
    const { authorizationUrl } = await startFlow(id);
    const back = await mock.authorize(authorizationUrl);
    clock.advance(10 * MIN + 1);
    const res = await callback({ code: back.get('code'), state: back.get('state') }).expect(302);
    expect(new URL(res.headers.location).searchParams.get('reason')).toBe('state_expired');
    const conn = await t
      .http()
      .get(`/api/v1/providers/${id}`)
      .set(await auth(user))
      .expect(200);
    expect(conn.body.status).toBe('pending_auth');
    expect((await mock.stats()).calls).toHaveLength(0);
  });

  it('a foreign state (another user or connection) is refused and not consumed', async () => {
    const id = await createConnection();
    const { authorizationUrl } = await startFlow(id);
    const back = await mock.authorize(authorizationUrl);
    const other = await createAuthenticatedUser(t, { verified: true });
    const otherId = await createConnection(other);
    const foreign = await t
      .http()
      .post(`/api/v1/providers/${otherId}/authorization/callback`)
      .set(other.authHeader)
      .send({ code: back.get('code'), state: back.get('state') })
      .expect(400);
    expect(foreign.body.code).toBe('invalid_state');
    // My own second connection cannot use it either.
    const mine2 = await createConnection();
    await t
      .http()
      .post(`/api/v1/providers/${mine2}/authorization/callback`)
      .set(user.authHeader)
      .send({ code: back.get('code'), state: back.get('state') })
      .expect(400);
    // The rightful completion still works.
    await t
      .http()
      .post(`/api/v1/providers/${id}/authorization/callback`)
      .set(user.authHeader)
      .send({ code: back.get('code'), state: back.get('state') })
      .expect(200);
  });

  it('a restarted flow supersedes the earlier state', async () => {
    const id = await createConnection();
    const first = await startFlow(id);
    await startFlow(id);
    const back = await mock.authorize(first.authorizationUrl);
    const res = await callback({ code: back.get('code'), state: back.get('state') }).expect(302);
    expect(new URL(res.headers.location).searchParams.get('reason')).toBe('invalid_state');
  });

  it('an error from the brokerage (user denied) → access_denied, nothing stored', async () => {
    const id = await createConnection();
    const { authorizationUrl } = await startFlow(id);
    const state = new URL(authorizationUrl).searchParams.get('state');
    const res = await callback({ error: 'access_denied', state }).expect(302);
    expect(Object.fromEntries(new URL(res.headers.location).searchParams)).toEqual({
      connection: id,
      result: 'error',
      reason: 'access_denied',
    });
    await t.http().get(`/api/v1/providers/${id}/token`).set(user.authHeader).expect(409);
  });

  it('PKCE: a code issued for another flow (other challenge) is refused by the brokerage → exchange_failed', async () => {
    const id = await createConnection();
    const a = await startFlow(id);
    const codeA = (await mock.authorize(a.authorizationUrl)).get('code');
    const id2 = await createConnection();
    const b = await startFlow(id2);
    const stateB = (await mock.authorize(b.authorizationUrl)).get('state');
    const res = await callback({ code: codeA, state: stateB }).expect(302);
    expect(Object.fromEntries(new URL(res.headers.location).searchParams)).toEqual({
      connection: id2,
      result: 'error',
      reason: 'exchange_failed',
    });
    await t.http().get(`/api/v1/providers/${id2}/token`).set(user.authHeader).expect(409);
    const events = await t
      .http()
      .get(`/api/v1/providers/${id2}/events`)
      .set(user.authHeader)
      .expect(200);
    expect(events.body.items[0]).toMatchObject({
      type: 'authorization_failed',
      data: { reason: 'exchange_failed', brokerageCode: 'rejected' },
    });
  });

  it('a brokerage 500 during the exchange → brokerage_unavailable, nothing stored', async () => {
    const id = await createConnection();
    const { authorizationUrl } = await startFlow(id);
    const back = await mock.authorize(authorizationUrl);
    await mock.set({ fail: { status: 500, body: { error: 'server_error' } } });
    const res = await callback({ code: back.get('code'), state: back.get('state') }).expect(302);
    expect(new URL(res.headers.location).searchParams.get('reason')).toBe('brokerage_unavailable');
    await t.http().get(`/api/v1/providers/${id}/token`).set(user.authHeader).expect(409);
  });
});

describe('refresh', () => {
  it('forced refresh: new access token, same refresh token, hard end NOT extended', async () => {
    const id = await connected();
    clock.advance(20 * MIN);
    const res = await t
      .http()
      .post(`/api/v1/providers/${id}/token/refresh`)
      .set(await auth(user))
      .expect(200);
    expect(res.body).toEqual({
      accessTokenExpiresAt: '2026-03-02T10:50:00.000Z',
      refreshTokenExpiresAt: '2026-03-09T10:00:00.000Z',
      lastRefreshedAt: '2026-03-02T10:20:00.000Z',
      refreshCount: 1,
      scopes: ['api'],
    });
    const calls = await mock.refreshCalls();
    expect(calls).toHaveLength(1);
    expect(calls[0].authorization).toMatch(/^Basic /);
    const stats = await mock.stats();
    expect(await t.get<TokensService>(TokensService).getValidAccessToken(id)).toBe(
      stats.accessTokens.at(-1),
    );
  });

  it('getValidAccessToken: hot path without a brokerage call; refreshes itself when < 5 minutes remain', async () => {
    const id = await connected();
    const tokens = t.get<TokensService>(TokensService);
    const first = (await mock.stats()).accessTokens.at(-1);
    clock.advance(24 * MIN);
    expect(await tokens.getValidAccessToken(id)).toBe(first);
    expect(await mock.refreshCalls()).toHaveLength(0);
    clock.advance(2 * MIN); // 4 minutes left
    const second = await tokens.getValidAccessToken(id);
    expect(await mock.refreshCalls()).toHaveLength(1);
    expect(second).toBe((await mock.stats()).accessTokens.at(-1));
    const meta = await t
      .http()
      .get(`/api/v1/providers/${id}/token`)
      .set(await auth(user))
      .expect(200);
    expect(meta.body).toMatchObject({
      refreshCount: 1,
      accessTokenExpiresAt: '2026-03-02T10:56:00.000Z',
    });
    // Fresh again: no further call.
    await tokens.getValidAccessToken(id);
    expect(await mock.refreshCalls()).toHaveLength(1);
  });

  it('20 concurrent forced refreshes share exactly one brokerage call', async () => {
    const id = await connected();
    clock.advance(MIN);
    const h = await auth(user);
    await mock.set({ delayMs: 150 });
    const before = (await mock.stats()).tokenRequests;
    // One call here is the combined guarantee (single flight, row lock, 30 s cooldown): requests queue on the
    // harness's one connection, so not all of them overlap the flight. The single flight alone is pinned down
    // deterministically in test/integration/tokens ("overlapping callers run the refresh body once").
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        t.http().post(`/api/v1/providers/${id}/token/refresh`).set(h),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect((await mock.stats()).tokenRequests - before).toBe(1);
    expect(new Set(results.map((r) => r.body.refreshCount))).toEqual(new Set([1]));
  });

  it('brokerage 500 → 503 + Retry-After, degraded with backoff; success later → active', async () => {
    const id = await connected();
    clock.advance(26 * MIN);
    await mock.set({ fail: { status: 500, body: { error: 'server_error' } } });
    const res = await t
      .http()
      .post(`/api/v1/providers/${id}/token/refresh`)
      .set(await auth(user))
      .expect(503);
    expect(res.body.code).toBe('brokerage_unavailable');
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(15);
    const h = await auth(user);
    expect((await t.http().get(`/api/v1/providers/${id}`).set(h)).body).toMatchObject({
      status: 'degraded',
      statusReason: 'brokerage_error',
    });
    // The old access token still works (4 minutes left): the data path keeps going.
    const last = (await mock.stats()).accessTokens.at(-1);
    expect(await t.get<TokensService>(TokensService).getValidAccessToken(id)).toBe(last);
    // During the backoff no call is made.
    const calls = (await mock.stats()).tokenRequests;
    await t.http().post(`/api/v1/providers/${id}/token/refresh`).set(h).expect(503);
    expect((await mock.stats()).tokenRequests).toBe(calls);
    await mock.set({ fail: null });
    clock.advance(31_000);
    await t
      .http()
      .post(`/api/v1/providers/${id}/token/refresh`)
      .set(await auth(user))
      .expect(200);
    expect(
      (
        await t
          .http()
          .get(`/api/v1/providers/${id}`)
          .set(await auth(user))
      ).body,
    ).toMatchObject({ status: 'active', statusReason: null });
  });

  it('429 honours Retry-After', async () => {
    const id = await connected();
    clock.advance(MIN);
    await mock.set({ mode: '429', retryAfter: '600' });
    const res = await t
      .http()
      .post(`/api/v1/providers/${id}/token/refresh`)
      .set(await auth(user))
      .expect(503);
    expect(Number(res.headers['retry-after'])).toBe(600);
    const events = await t
      .http()
      .get(`/api/v1/providers/${id}/events`)
      .set(await auth(user))
      .expect(200);
    expect(
      events.body.items.find((e: { type: string }) => e.type === 'token_refresh_failed').data,
    ).toMatchObject({
      code: 'rate_limited',
      kind: 'rate_limited',
      nextAttemptAt: '2026-03-02T10:11:00.000Z',
    });
  });

  it('a brokerage that does not answer (timeout) → degraded', async () => {
    const id = await connected();
    clock.advance(MIN);
    await mock.set({ mode: 'hang' });
    const res = await t
      .http()
      .post(`/api/v1/providers/${id}/token/refresh`)
      .set(await auth(user))
      .expect(503);
    expect(res.body.code).toBe('brokerage_unavailable');
    expect(
      (
        await t
          .http()
          .get(`/api/v1/providers/${id}`)
          .set(await auth(user))
      ).body,
    ).toMatchObject({ status: 'degraded', statusReason: 'timeout' });
  });

  it('invalid_grant → reauth_required (409); re-authorisation keeps the id and makes it active again', async () => {
    const id = await connected();
    clock.advance(MIN);
    await mock.set({ fail: { status: 400, body: { error: 'invalid_grant' } } });
    const res = await t
      .http()
      .post(`/api/v1/providers/${id}/token/refresh`)
      .set(await auth(user))
      .expect(409);
    expect(res.body.code).toBe('reauth_required');
    expect(
      (
        await t
          .http()
          .get(`/api/v1/providers/${id}`)
          .set(await auth(user))
      ).body,
    ).toMatchObject({ status: 'reauth_required', statusReason: 'invalid_grant' });
    await expect(t.get<TokensService>(TokensService).getValidAccessToken(id)).rejects.toMatchObject(
      { code: 'reauth_required' },
    );
    await mock.set({ fail: null });
    clock.advance(MIN);
    const target = await connectViaBrowser(id);
    expect(Object.fromEntries(target.searchParams)).toEqual({
      connection: id,
      result: 'connected',
    });
    const meta = await t
      .http()
      .get(`/api/v1/providers/${id}/token`)
      .set(await auth(user))
      .expect(200);
    expect(meta.body).toMatchObject({
      refreshCount: 0,
      refreshTokenExpiresAt: '2026-03-09T10:02:00.000Z',
    });
    const list = await t
      .http()
      .get('/api/v1/providers')
      .set(await auth(user))
      .expect(200);
    expect(list.body.items.filter((c: { id: string }) => c.id === id)).toHaveLength(1);
  });

  it('within 24 h of the refresh token end → expiring; past the end → reauth_required without calling the brokerage', async () => {
    const id = await connected();
    clock.advance(6 * DAY + MIN);
    await t
      .http()
      .post(`/api/v1/providers/${id}/token/refresh`)
      .set(await auth(user))
      .expect(200);
    expect(
      (
        await t
          .http()
          .get(`/api/v1/providers/${id}`)
          .set(await auth(user))
      ).body.status,
    ).toBe('expiring');
    clock.advance(DAY);
    const before = (await mock.stats()).tokenRequests;
    const res = await t
      .http()
      .post(`/api/v1/providers/${id}/token/refresh`)
      .set(await auth(user))
      .expect(409);
    expect(res.body.code).toBe('reauth_required');
    expect((await mock.stats()).tokenRequests).toBe(before);
    expect(
      (
        await t
          .http()
          .get(`/api/v1/providers/${id}`)
          .set(await auth(user))
      ).body,
    ).toMatchObject({ status: 'reauth_required', statusReason: 'refresh_token_expired' });
  });
});

describe('disconnect and object-level authorization', () => {
  it('DELETE destroys tokens, revokes at the brokerage (best effort), audits; afterwards 404', async () => {
    const id = await connected();
    await t.http().delete(`/api/v1/providers/${id}`).set(user.authHeader).expect(204);
    const { revocations } = await mock.stats();
    expect(revocations).toHaveLength(1);
    expect(revocations[0].authorization).toMatch(/^Basic /);
    await t.http().get(`/api/v1/providers/${id}`).set(user.authHeader).expect(404);
    await t.http().get(`/api/v1/providers/${id}/token`).set(user.authHeader).expect(404);
    const secrets = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM secrets WHERE owner_type = 'provider_token'`,
    );
    expect(secrets[0].n).toBe(0);
    const audit = await t.dataSource.query(
      `SELECT type FROM audit_events WHERE user_id = $1 AND type = 'provider.disconnected'`,
      [user.userId],
    );
    expect(audit).toHaveLength(1);
    await expect(t.get<TokensService>(TokensService).getValidAccessToken(id)).rejects.toMatchObject(
      { code: 'not_connected' },
    );
  });

  it("another user's connection is a 404 on every route; a malformed id is a 400", async () => {
    const id = await connected();
    const other = await createAuthenticatedUser(t, { verified: true });
    const h = other.authHeader;
    const http = t.http();
    const routes: Array<[string, string, object?]> = [
      ['get', `/api/v1/providers/${id}`],
      ['patch', `/api/v1/providers/${id}`, { alias: 'mine' }],
      ['delete', `/api/v1/providers/${id}`],
      ['post', `/api/v1/providers/${id}/authorization`],
      ['post', `/api/v1/providers/${id}/authorization/callback`, { code: 'c', state: 's' }],
      ['get', `/api/v1/providers/${id}/token`],
      ['post', `/api/v1/providers/${id}/token/refresh`],
      ['get', `/api/v1/providers/${id}/events`],
    ];
    type Agent = Record<string, (p: string) => import('supertest').Test>;
    for (const [method, path, body] of routes) {
      const req = (http as unknown as Agent)[method](path).set(h);
      const res = await (body ? req.send(body) : req);
      expect([path, method, res.status]).toEqual([path, method, 404]);
      const bad = (t.http() as unknown as Agent)[method](path.replace(id, 'not-a-uuid')).set(h);
      expect((await (body ? bad.send(body) : bad)).status).toBe(400);
    }
    // Still there for its owner.
    await t.http().get(`/api/v1/providers/${id}`).set(user.authHeader).expect(200);
    const list = await t.http().get('/api/v1/providers').set(h).expect(200);
    expect(list.body.items).toEqual([]);
  });

  it('requires authentication except on the browser callback', async () => {
    await t.http().get('/api/v1/providers').expect(401);
    await t.http().get('/api/v1/provider-types').expect(401);
    await callback({}).expect(302);
  });
});

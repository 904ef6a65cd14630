import { randomBytes, randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { getStorageToken, ThrottlerOptions } from '@nestjs/throttler';
import { AuthThrottlerGuard } from '../../../src/modules/auth/auth-throttler.guard';
import { MAILER } from '../../../src/modules/mail/mailer';
import { RedisThrottlerStorage } from '../../../src/modules/auth/redis-throttler.storage';
import { createAuthenticatedUser } from '../../factories/auth.factory';
import { useTestApp } from '../../harness';
import { CapturingMailer } from './capturing-mailer';

const LIMITS = {
  AUTH_THROTTLE_IP_LIMIT: '4',
  AUTH_THROTTLE_ACCOUNT_LIMIT: '2',
  AUTH_THROTTLE_ACCOUNT_GLOBAL_LIMIT: '5',
  AUTH_THROTTLE_TTL_SECONDS: '60',
};
/**
 * A fresh address per call: a counter, so no two calls in a run share one, from a per-run random start, so
 * the Redis store's counters of an earlier run (60 s window) are not hit either. IPv4, because the throttler
 * buckets IPv6 clients by /64.
 */
let ipCounter = randomBytes(3).readUIntBE(0, 3) & 0xff0000;
const ip = () => {
  const n = ++ipCounter;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
};
const email = () => `throttle-${randomUUID()}@example.test`;

function expect429(res: {
  status: number;
  headers: Record<string, string>;
  body: { code: string; status: number };
}): void {
  expect(res.status).toBe(429);
  expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  expect(res.body).toMatchObject({ status: 429, code: 'too_many_requests' });
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
}

describe('auth throttling behind a trusted proxy (e2e, in-memory store)', () => {
  const t = useTestApp({
    env: { ...LIMITS, TRUSTED_PROXIES: 'loopback' },
    overrides: [{ provide: MAILER, useValue: new CapturingMailer() }],
  });
  const post = (path: string, body: object, from: string) =>
    t.http().post(`/api/v1/auth/${path}`).set('X-Forwarded-For', from).send(body);

  it('limits one account from one IP (per account and IP budget)', async () => {
    const target = email();
    const from = ip();
    for (let i = 0; i < 2; i++)
      expect(
        (await post('login', { email: target, password: 'wrong password' }, from)).status,
      ).toBe(401);
    expect429(await post('login', { email: target, password: 'wrong password' }, from));
    // case and surrounding whitespace do not make a new account key (the throttler runs before validation)
    expect429(
      await post('login', { email: ` ${target.toUpperCase()} `, password: 'wrong password' }, from),
    );
    // the same account from another address has its own budget
    expect((await post('login', { email: target, password: 'wrong password' }, ip())).status).toBe(
      401,
    );
  });

  it('limits one account across many IPs (looser global per-account cap)', async () => {
    const target = email();
    for (let i = 0; i < 5; i++)
      expect(
        (await post('login', { email: target, password: 'wrong password' }, ip())).status,
      ).toBe(401);
    expect429(await post('login', { email: target, password: 'wrong password' }, ip()));
    // case and surrounding whitespace do not make a new account key
    expect429(
      await post('login', { email: ` ${target.toUpperCase()} `, password: 'wrong password' }, ip()),
    );
    // another account is unaffected
    expect((await post('login', { email: email(), password: 'wrong password' }, ip())).status).toBe(
      401,
    );
  });

  it('an attacker hammering one account from one address cannot keep the owner out', async () => {
    const victim = await createAuthenticatedUser(t);
    const attacker = ip();
    // Each window the attacker spends the whole (account, IP) budget and keeps going; blocked requests are
    // refused before they count towards the account's global cap, so the cap is never reached ...
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++)
      statuses.push(
        (await post('login', { email: victim.email, password: 'wrong password' }, attacker)).status,
      );
    expect(statuses).toEqual([401, 401, ...Array(10).fill(429)]);
    // ... and the owner, from an address of their own with the right password, gets in.
    const ok = await post('login', { email: victim.email, password: victim.password }, ip());
    expect(ok.status).toBe(200);
    expect(ok.body.tokenType).toBe('Bearer');
    // The attacker's address stays refused for the account.
    expect429(await post('login', { email: victim.email, password: victim.password }, attacker));
  });

  it('throttles change-password per signed-in user, whatever the address', async () => {
    const u = await createAuthenticatedUser(t);
    const change = () =>
      t
        .http()
        .post('/api/v1/auth/change-password')
        .set('X-Forwarded-For', ip())
        .set(u.authHeader)
        .send({ currentPassword: 'not my password', newPassword: 'brand new passphrase' });
    for (let i = 0; i < 2; i++) expect((await change()).status).toBe(403);
    expect429(await change());
    // another user is unaffected
    const other = await createAuthenticatedUser(t);
    const res = await t
      .http()
      .post('/api/v1/auth/change-password')
      .set('X-Forwarded-For', ip())
      .set(other.authHeader)
      .send({ currentPassword: 'not my password', newPassword: 'brand new passphrase' });
    expect(res.status).toBe(403);
  });

  it('limits one IP across many accounts (per-IP budget), using X-Forwarded-For from the trusted proxy', async () => {
    const from = ip();
    for (let i = 0; i < 4; i++)
      expect((await post('password-reset/request', { email: email() }, from)).status).toBe(202);
    expect429(await post('password-reset/request', { email: email() }, from));
    expect((await post('password-reset/request', { email: email() }, ip())).status).toBe(202);
  });

  it.each([
    ['register', () => ({ email: email(), password: 'long enough password' }), 201],
    ['verify-email/resend', () => ({ email: email() }), 202],
    ['refresh', () => ({ refreshToken: randomUUID() }), 401],
    [
      'password-reset/confirm',
      () => ({ token: randomUUID(), newPassword: 'long enough password' }),
      400,
    ],
  ])('throttles %s per IP', async (path, body, ok) => {
    const from = ip();
    for (let i = 0; i < 4; i++) expect((await post(path, body(), from)).status).toBe(ok);
    expect429(await post(path, body(), from));
  });

  it('does not throttle authenticated routes or health', async () => {
    const from = ip();
    for (let i = 0; i < 8; i++)
      expect((await t.http().get('/api/v1/auth/me').set('X-Forwarded-For', from)).status).toBe(401);
  });
});

describe('auth throttling without trusted proxies (e2e)', () => {
  const t = useTestApp({
    env: LIMITS,
    overrides: [{ provide: MAILER, useValue: new CapturingMailer() }],
  });

  it('ignores a spoofed X-Forwarded-For: every request counts against the socket address', async () => {
    let last = 0;
    for (let i = 0; i < 5; i++) {
      last = (
        await t
          .http()
          .post('/api/v1/auth/verify-email/resend')
          .set('X-Forwarded-For', ip())
          .send({ email: email() })
      ).status;
    }
    expect(last).toBe(429);
  });
});

describe('auth throttling with REDIS_URL (e2e, shared store on the real Redis)', () => {
  const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true });
  const t = useTestApp({
    env: { ...LIMITS, TRUSTED_PROXIES: 'loopback', REDIS_URL: 'redis://127.0.0.1:6379/0' },
    overrides: [{ provide: MAILER, useValue: new CapturingMailer() }],
  });
  beforeAll(() => redis.connect());
  afterAll(() => redis.quit());

  afterEach(() => jest.restoreAllMocks());

  it('uses the Redis storage and answers 429 from shared counters', async () => {
    expect(t.get(getStorageToken())).toBeInstanceOf(RedisThrottlerStorage);
    const target = email();
    const from = ip();
    for (let i = 0; i < 2; i++)
      expect(
        (
          await t
            .http()
            .post('/api/v1/auth/login')
            .set('X-Forwarded-For', from)
            .send({ email: target, password: 'wrong password' })
        ).status,
      ).toBe(401);
    expect429(
      await t
        .http()
        .post('/api/v1/auth/login')
        .set('X-Forwarded-For', from)
        .send({ email: target, password: 'wrong password' }),
    );
    expect((await redis.keys('dashtam:throttle:{account:*')).length).toBeGreaterThan(0);
  });

  it('account trackers are hashes: no email address reaches the store', async () => {
    // ThrottlerGuard hashes the final key anyway; the tracker it is built from must not hold the address.
    const trackers: Array<[string, string]> = [];
    // The guard instance the routes use, and its own copies of the throttler options.
    const guard = t.get<{ throttlers: ThrottlerOptions[] }>(AuthThrottlerGuard);
    for (const throttler of guard.throttlers) {
      const getTracker = throttler.getTracker;
      if (!getTracker) continue; // `ip` uses the guard's own tracker (the address)
      jest.spyOn(throttler, 'getTracker').mockImplementation(async (req, context) => {
        const tracker = await getTracker(req, context);
        trackers.push([throttler.name!, tracker]);
        return tracker;
      });
    }
    const target = `Tracker-${randomUUID()}@Example.test`;
    await t
      .http()
      .post('/api/v1/auth/login')
      .set('X-Forwarded-For', ip())
      .send({ email: target, password: 'wrong password' })
      .expect(401);
    expect(trackers.map(([name]) => name).sort()).toEqual(['account', 'account_global']);
    for (const [name, tracker] of trackers) {
      expect({ name, tracker }).toEqual({
        name,
        tracker: expect.stringMatching(/^account:[0-9a-f]{64}$/),
      });
      expect(tracker.toLowerCase()).not.toContain(target.toLowerCase().split('@')[0]);
    }
  });
});

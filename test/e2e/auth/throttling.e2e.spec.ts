import { randomInt, randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { getStorageToken } from '@nestjs/throttler';
import { MAILER } from '../../../src/modules/mail/mailer';
import { RedisThrottlerStorage } from '../../../src/modules/auth/redis-throttler.storage';
import { useTestApp } from '../../harness';
import { CapturingMailer } from './capturing-mailer';

const LIMITS = {
  AUTH_THROTTLE_IP_LIMIT: '4',
  AUTH_THROTTLE_ACCOUNT_LIMIT: '2',
  AUTH_THROTTLE_TTL_SECONDS: '60',
};
/** A fresh documentation-range address per call, so in-memory counters never leak between tests. */
const ip = () => `198.51.${randomInt(0, 255)}.${randomInt(1, 254)}`;
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

  it('limits one account across many IPs (per-account budget)', async () => {
    const target = email();
    for (let i = 0; i < 2; i++)
      expect(
        (await post('login', { email: target, password: 'wrong password' }, ip())).status,
      ).toBe(401);
    expect429(await post('login', { email: target, password: 'wrong password' }, ip()));
    // case and whitespace do not make a new account key
    expect429(
      await post(
        'login',
        { email: ` ${target.toUpperCase()} `.trim(), password: 'wrong password' },
        ip(),
      ),
    );
    // another account is unaffected
    expect((await post('login', { email: email(), password: 'wrong password' }, ip())).status).toBe(
      401,
    );
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

  it('uses the Redis storage and answers 429 from shared counters', async () => {
    expect(t.get(getStorageToken())).toBeInstanceOf(RedisThrottlerStorage);
    const target = email();
    for (let i = 0; i < 2; i++)
      await t
        .http()
        .post('/api/v1/auth/login')
        .set('X-Forwarded-For', ip())
        .send({ email: target, password: 'wrong password' });
    expect429(
      await t
        .http()
        .post('/api/v1/auth/login')
        .set('X-Forwarded-For', ip())
        .send({ email: target, password: 'wrong password' }),
    );
    const keys = await redis.keys('dashtam:throttle:account:*');
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.join()).not.toContain(target); // the store holds hashes, not addresses
  });
});

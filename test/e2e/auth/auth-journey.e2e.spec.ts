import { FakeClock, Clock } from '../../../src/common/clock';
import { useTestApp } from '../../harness';
import { SmtpCapture, tokenFromMail } from './smtp-capture';

/**
 * The smoke journey of issue 5 through HTTP, the real database and a real SMTP server:
 * register → mail → verify → login → me → refresh → reuse old refresh → family revoked → login again →
 * change password → logout → refused.
 */
describe('auth journey (e2e, real SMTP)', () => {
  const smtp = new SmtpCapture();
  const env: Record<string, string> = {};
  const clock = new FakeClock(new Date());
  beforeAll(async () => {
    env.SMTP_URL = await smtp.start();
  });
  afterAll(() => smtp.stop());
  const t = useTestApp({ env, overrides: [{ provide: Clock, useValue: clock }] });

  it('walks the whole contract end to end', async () => {
    const email = `Journey-${Date.now()}@Example.test`;
    const lower = email.toLowerCase();
    const password = 'a perfectly long passphrase';

    const reg = await t
      .http()
      .post('/api/v1/auth/register')
      .send({ email, password, name: 'Ada' })
      .expect(201);
    expect(reg.body).toEqual({
      id: expect.any(String),
      email: lower,
      name: 'Ada',
      emailVerified: false,
      createdAt: expect.any(String),
    });

    const verifyMail = await smtp.next(lower);
    expect(verifyMail.subject).toMatch(/confirm/i);
    expect(verifyMail.text).not.toContain(password);
    const verifyToken = tokenFromMail(verifyMail);
    await t.http().post('/api/v1/auth/verify-email').send({ token: verifyToken }).expect(204);
    // single use
    const again = await t
      .http()
      .post('/api/v1/auth/verify-email')
      .send({ token: verifyToken })
      .expect(400);
    expect(again.body.code).toBe('invalid_token');

    const login = await t
      .http()
      .post('/api/v1/auth/login')
      .set('User-Agent', 'journey/1')
      .send({ email, password })
      .expect(200);
    expect(login.body).toEqual({
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      tokenType: 'Bearer',
      expiresIn: 900,
    });
    const first = login.body as { accessToken: string; refreshToken: string };

    const me = await t
      .http()
      .get('/api/v1/auth/me')
      .set('Authorization', `Bearer ${first.accessToken}`)
      .expect(200);
    expect(me.body).toEqual({
      id: reg.body.id,
      email: lower,
      name: 'Ada',
      emailVerified: true,
      roles: ['user'],
      createdAt: reg.body.createdAt,
    });

    const refreshed = await t
      .http()
      .post('/api/v1/auth/refresh')
      .send({ refreshToken: first.refreshToken })
      .expect(200);
    expect(refreshed.body.refreshToken).not.toBe(first.refreshToken);
    await t
      .http()
      .get('/api/v1/auth/me')
      .set('Authorization', `Bearer ${refreshed.body.accessToken}`)
      .expect(200);

    // Replay of the rotated token: 401, and the whole family (including the fresh pair) is revoked.
    const reuse = await t
      .http()
      .post('/api/v1/auth/refresh')
      .send({ refreshToken: first.refreshToken })
      .expect(401);
    expect(reuse.body.code).toBe('invalid_refresh_token');
    await t
      .http()
      .post('/api/v1/auth/refresh')
      .send({ refreshToken: refreshed.body.refreshToken })
      .expect(401);
    await t
      .http()
      .get('/api/v1/auth/me')
      .set('Authorization', `Bearer ${refreshed.body.accessToken}`)
      .expect(401);
    const audit = await t.dataSource.query(
      `SELECT type FROM audit_events WHERE user_id = $1 ORDER BY created_at`,
      [reg.body.id],
    );
    expect(audit.map((r: { type: string }) => r.type)).toEqual([
      'register',
      'email_verified',
      'login',
      'refresh_reuse',
    ]);

    const second = (
      await t.http().post('/api/v1/auth/login').send({ email: lower, password }).expect(200)
    ).body;
    const auth = { Authorization: `Bearer ${second.accessToken}` };
    const newPassword = 'another long passphrase';
    await t
      .http()
      .post('/api/v1/auth/change-password')
      .set(auth)
      .send({ currentPassword: password, newPassword })
      .expect(204);
    const changed = await smtp.next(lower);
    expect(changed.subject).toMatch(/password was changed/i);
    await t.http().post('/api/v1/auth/login').send({ email, password }).expect(401);

    await t.http().post('/api/v1/auth/logout').set(auth).expect(204);
    const refused = await t.http().get('/api/v1/auth/me').set(auth).expect(401);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(refused.body.code).toBe('unauthorized');
    await t
      .http()
      .post('/api/v1/auth/refresh')
      .send({ refreshToken: second.refreshToken })
      .expect(401);
    await t.http().post('/api/v1/auth/login').send({ email, password: newPassword }).expect(200);
  });
});

import { randomUUID } from 'node:crypto';
import { Clock, FakeClock } from '../../../src/common/clock';
import { MAILER } from '../../../src/modules/mail/mailer';
import { createAuthenticatedUser } from '../../factories/auth.factory';
import { useTestApp } from '../../harness';
import { CapturingMailer } from './capturing-mailer';

const api = (p: string) => `/api/v1/auth/${p}`;
const DAY = 86400_000;

describe('auth: account flows (e2e)', () => {
  const clock = new FakeClock(new Date());
  const mailer = new CapturingMailer();
  const t = useTestApp({
    env: {
      LOCKOUT_THRESHOLD: '3',
      LOCKOUT_BASE_SECONDS: '60',
      LOCKOUT_MAX_SECONDS: '300',
      LOCKOUT_DECAY_SECONDS: '600',
    },
    overrides: [
      { provide: Clock, useValue: clock },
      { provide: MAILER, useValue: mailer },
    ],
  });

  const login = (email: string, password: string, ip?: string) =>
    t
      .http()
      .post(api('login'))
      .set('User-Agent', ip ?? 'jest')
      .send({ email, password });

  it('gives one identical 401 for unknown email, wrong password and locked account', async () => {
    const u = await createAuthenticatedUser(t);
    const strip = (b: Record<string, unknown>) => ({ ...b, requestId: undefined });
    const unknown = await login('nobody@example.test', 'whatever12').expect(401);
    const wrong = await login(u.email, 'wrong password').expect(401);
    expect(strip(wrong.body)).toEqual(strip(unknown.body));
    expect(unknown.body).toMatchObject({
      code: 'invalid_credentials',
      detail: 'Invalid email or password.',
    });
    await login(u.email, 'wrong password').expect(401);
    await login(u.email, 'wrong password').expect(401); // third failure: locked
    const locked = await login(u.email, u.password).expect(401); // even the right password
    expect(strip(locked.body)).toEqual(strip(unknown.body));
    const [row] = await t.dataSource.query(
      `SELECT failed_login_count, locked_until FROM users WHERE id = $1`,
      [u.userId],
    );
    expect(row.failed_login_count).toBe(3);
    const reasons = await t.dataSource.query(
      `SELECT data->>'reason' AS r FROM audit_events WHERE type = 'login_failed' AND user_id = $1 ORDER BY created_at`,
      [u.userId],
    );
    expect(reasons.map((r: { r: string }) => r.r)).toEqual([
      'bad_password',
      'bad_password',
      'bad_password',
      'locked',
    ]);
  });

  it('locks with capped backoff that ends on its own, and failures while locked do not extend it', async () => {
    const u = await createAuthenticatedUser(t);
    for (let i = 0; i < 3; i++) await login(u.email, 'wrong password').expect(401);
    const lockedUntil = async () =>
      new Date(
        (await t.dataSource.query(`SELECT locked_until FROM users WHERE id = $1`, [u.userId]))[0]
          .locked_until,
      ).getTime();
    const first = await lockedUntil();
    expect(first - clock.now().getTime()).toBe(60_000);
    await login(u.email, 'wrong password').expect(401); // while locked: no extension
    expect(await lockedUntil()).toBe(first);
    clock.advance(61_000);
    await login(u.email, 'wrong password').expect(401); // 4th failure after expiry: doubled
    expect((await lockedUntil()) - clock.now().getTime()).toBe(120_000);
    clock.advance(121_000);
    await login(u.email, 'wrong password').expect(401); // 240 s
    clock.advance(241_000);
    await login(u.email, 'wrong password').expect(401); // 480 s capped at 300 s
    expect((await lockedUntil()) - clock.now().getTime()).toBe(300_000);
    clock.advance(301_000);
    await login(u.email, u.password).expect(200); // the lock always ends; success resets the counter
    const [row] = await t.dataSource.query(
      `SELECT failed_login_count, locked_until, last_failed_at FROM users WHERE id = $1`,
      [u.userId],
    );
    expect(row).toEqual({ failed_login_count: 0, locked_until: null, last_failed_at: null });
  });

  it('failure counts decay: one stray failure long after a capped lock does not re-lock the account', async () => {
    const u = await createAuthenticatedUser(t);
    const state = async () =>
      (
        await t.dataSource.query(
          `SELECT failed_login_count AS n, locked_until FROM users WHERE id = $1`,
          [u.userId],
        )
      )[0] as { n: number; locked_until: Date | null };
    for (let i = 0; i < 6; i++) {
      await login(u.email, 'wrong password').expect(401);
      clock.advance(301_000); // each lock (60, 120, 240, 300 capped) has ended before the next try
    }
    expect((await state()).n).toBe(6);
    // Within the decay window the count still climbs: the next failure locks at the cap again.
    await login(u.email, 'wrong password').expect(401);
    expect(new Date((await state()).locked_until!).getTime() - clock.now().getTime()).toBe(300_000);
    // Past the window (600 s since the last failure) the next failure counts as the first: no lock.
    clock.advance(601_000);
    await login(u.email, 'wrong password').expect(401);
    expect(await state()).toEqual({ n: 1, locked_until: null });
    await login(u.email, u.password).expect(200);
  });

  it('change password while locked: the same 403 without checking the password', async () => {
    const u = await createAuthenticatedUser(t);
    for (let i = 0; i < 3; i++) await login(u.email, 'wrong password').expect(401); // locked 60 s
    const change = (currentPassword: string) =>
      t
        .http()
        .post(api('change-password'))
        .set(u.authHeader)
        .send({ currentPassword, newPassword: 'brand new passphrase' });
    const wrong = await change('nope nope').expect(403);
    const right = await change(u.password).expect(403); // even the right one: no oracle while locked
    expect({ ...right.body, requestId: undefined }).toEqual({
      ...wrong.body,
      requestId: undefined,
    });
    expect(right.body.code).toBe('invalid_current_password');
    const [row] = await t.dataSource.query(
      `SELECT failed_login_count, password_hash FROM users WHERE id = $1`,
      [u.userId],
    );
    expect(row.failed_login_count).toBe(3); // not counted, not extended
    clock.advance(61_000);
    await change(u.password).expect(204); // the lock ended
  });

  it('password reset: 202 for anyone, single-use token, unlocks, ends every session', async () => {
    const u = await createAuthenticatedUser(t);
    for (let i = 0; i < 3; i++) await login(u.email, 'wrong password').expect(401);
    await t
      .http()
      .post(api('password-reset/request'))
      .send({ email: 'ghost@example.test' })
      .expect(202);
    expect(mailer.to('ghost@example.test')).toHaveLength(0);
    await t
      .http()
      .post(api('password-reset/request'))
      .send({ email: u.email.toUpperCase() })
      .expect(202);
    const mail = mailer.lastTo(u.email);
    const token = mailer.tokenIn(mail);
    expect(mail.text).toContain('/reset-password#token=');

    const newPassword = 'brand new passphrase';
    await t
      .http()
      .post(api('password-reset/confirm'))
      .send({ token, newPassword: 'short' })
      .expect(400);
    await t.http().post(api('password-reset/confirm')).send({ token, newPassword }).expect(204);
    await t.http().post(api('password-reset/confirm')).send({ token, newPassword }).expect(400); // used
    await t.http().get(api('me')).set(u.authHeader).expect(401); // sessions ended
    await t.http().post(api('refresh')).send({ refreshToken: u.refreshToken }).expect(401);
    await login(u.email, newPassword).expect(200); // unlocked
    expect(mailer.lastTo(u.email).subject).toMatch(/password was changed/i);
  });

  it('reset tokens expire', async () => {
    const u = await createAuthenticatedUser(t);
    await t.http().post(api('password-reset/request')).send({ email: u.email }).expect(202);
    const token = mailer.tokenIn(mailer.lastTo(u.email));
    clock.advance(3601_000);
    await t
      .http()
      .post(api('password-reset/confirm'))
      .send({ token, newPassword: 'brand new passphrase' })
      .expect(400);
  });

  it('register with an existing email: same 201 shape, a notice to the owner, no second account', async () => {
    const u = await createAuthenticatedUser(t);
    const res = await t
      .http()
      .post(api('register'))
      .send({ email: u.email.toUpperCase(), password: 'some other password' })
      .expect(201);
    expect(Object.keys(res.body).sort()).toEqual([
      'createdAt',
      'email',
      'emailVerified',
      'id',
      'name',
    ]);
    expect(res.body.id).not.toBe(u.userId);
    expect(mailer.lastTo(u.email).subject).toMatch(/tried to register/i);
    const [{ n }] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM users WHERE email = $1`,
      [u.email],
    );
    expect(n).toBe(1);
    await login(u.email, 'some other password').expect(401); // the password was not replaced
  });

  it('resend verification: 202 always; only an unverified account gets a new link; verification expires', async () => {
    const email = `unverified-${Date.now()}@example.test`;
    await t
      .http()
      .post(api('register'))
      .send({ email, password: 'long enough password' })
      .expect(201);
    const firstToken = mailer.tokenIn(mailer.lastTo(email));
    await t
      .http()
      .post(api('verify-email/resend'))
      .send({ email: 'ghost@example.test' })
      .expect(202);
    await t.http().post(api('verify-email/resend')).send({ email }).expect(202);
    const secondToken = mailer.tokenIn(mailer.lastTo(email));
    expect(secondToken).not.toBe(firstToken);
    clock.advance(DAY + 1000);
    await t.http().post(api('verify-email')).send({ token: secondToken }).expect(400);
    await t.http().post(api('verify-email/resend')).send({ email }).expect(202);
    await t
      .http()
      .post(api('verify-email'))
      .send({ token: mailer.tokenIn(mailer.lastTo(email)) })
      .expect(204);
    const before = mailer.sent.length;
    await t.http().post(api('verify-email/resend')).send({ email }).expect(202);
    expect(mailer.sent.length).toBe(before); // verified: nothing sent
  });

  it('unverified users can log in; /me says so', async () => {
    const u = await createAuthenticatedUser(t, { verified: false });
    const me = await t.http().get(api('me')).set(u.authHeader).expect(200);
    expect(me.body.emailVerified).toBe(false);
  });

  it('PATCH /me changes the name only', async () => {
    const u = await createAuthenticatedUser(t);
    const res = await t
      .http()
      .patch(api('me'))
      .set(u.authHeader)
      .send({ name: '  Grace  ' })
      .expect(200);
    expect(res.body).toMatchObject({ id: u.userId, name: 'Grace', email: u.email });
    await t
      .http()
      .patch(api('me'))
      .set(u.authHeader)
      .send({ name: 'x', email: 'evil@example.test' })
      .expect(400);
    await t.http().patch(api('me')).set(u.authHeader).send({ name: '' }).expect(400);
  });

  it.each([['   '], ['\t\n'], ['Ada\u0000Lovelace'], ['Ada\u001b[31m'], ['\u007f']])(
    'refuses the name %j on PATCH /me and on register',
    async (name) => {
      const u = await createAuthenticatedUser(t);
      const res = await t.http().patch(api('me')).set(u.authHeader).send({ name }).expect(400);
      expect(res.body.code).toBeDefined();
      const [row] = await t.dataSource.query(`SELECT name FROM users WHERE id = $1`, [u.userId]);
      expect(row.name).toBe('Test User');
      const email = `name-${randomUUID()}@example.test`;
      await t
        .http()
        .post(api('register'))
        .send({ email, password: 'long enough password', name })
        .expect(400);
      expect(
        await t.dataSource.query(`SELECT 1 FROM users WHERE email = $1`, [email]),
      ).toHaveLength(0);
    },
  );

  it('register stores the name trimmed', async () => {
    const email = `trimmed-${randomUUID()}@example.test`;
    const res = await t
      .http()
      .post(api('register'))
      .send({ email, password: 'long enough password', name: '  Ada Lovelace ' })
      .expect(201);
    expect(res.body.name).toBe('Ada Lovelace');
    const [row] = await t.dataSource.query(`SELECT name FROM users WHERE email = $1`, [email]);
    expect(row.name).toBe('Ada Lovelace');
  });

  it('lists sessions with the current one marked; revoking one ends it everywhere; logout-all ends all', async () => {
    const u = await createAuthenticatedUser(t);
    const second = (await login(u.email, u.password).expect(200)).body;
    const list = await t.http().get(api('sessions')).set(u.authHeader).expect(200);
    expect(list.body).toHaveLength(2);
    expect(list.body.filter((s: { current: boolean }) => s.current)).toHaveLength(1);
    expect(Object.keys(list.body[0]).sort()).toEqual([
      'createdAt',
      'current',
      'id',
      'ip',
      'lastUsedAt',
      'userAgent',
    ]);
    const other = list.body.find((s: { current: boolean }) => !s.current);
    await t
      .http()
      .delete(api(`sessions/${other.id}`))
      .set(u.authHeader)
      .expect(204);
    await t.http().get(api('me')).set('Authorization', `Bearer ${second.accessToken}`).expect(401);
    await t
      .http()
      .delete(api(`sessions/${other.id}`))
      .set(u.authHeader)
      .expect(404); // already ended

    const third = (await login(u.email, u.password).expect(200)).body;
    await t.http().post(api('logout-all')).set(u.authHeader).expect(204);
    await t.http().get(api('me')).set(u.authHeader).expect(401);
    await t.http().get(api('me')).set('Authorization', `Bearer ${third.accessToken}`).expect(401);
  });

  it('change password needs the current one, keeps this session and ends the others', async () => {
    const u = await createAuthenticatedUser(t);
    const other = (await login(u.email, u.password).expect(200)).body;
    const wrong = await t
      .http()
      .post(api('change-password'))
      .set(u.authHeader)
      .send({ currentPassword: 'nope nope', newPassword: 'brand new passphrase' })
      .expect(403);
    expect(wrong.body.code).toBe('invalid_current_password');
    const [counted] = await t.dataSource.query(
      `SELECT failed_login_count FROM users WHERE id = $1`,
      [u.userId],
    );
    expect(counted.failed_login_count).toBe(1); // counts towards the lockout like a failed login
    await t
      .http()
      .post(api('change-password'))
      .set(u.authHeader)
      .send({ currentPassword: u.password, newPassword: 'brand new passphrase' })
      .expect(204);
    await t.http().get(api('me')).set(u.authHeader).expect(200);
    await t.http().get(api('me')).set('Authorization', `Bearer ${other.accessToken}`).expect(401);
  });

  it('refresh sessions expire when idle and at their absolute limit', async () => {
    const u = await createAuthenticatedUser(t);
    clock.advance(13 * DAY);
    let rt = (
      await t.http().post(api('refresh')).send({ refreshToken: u.refreshToken }).expect(200)
    ).body.refreshToken;
    clock.advance(15 * DAY); // idle longer than 14 days
    await t.http().post(api('refresh')).send({ refreshToken: rt }).expect(401);

    const v = await createAuthenticatedUser(t);
    rt = v.refreshToken;
    // Active every 13 days: each refresh before day 60 succeeds (days 13, 26, 39, 52) ...
    for (let day = 13; day < 60; day += 13) {
      clock.advance(13 * DAY);
      const res = await t.http().post(api('refresh')).send({ refreshToken: rt });
      expect({ day, status: res.status }).toEqual({ day, status: 200 });
      rt = res.body.refreshToken;
    }
    clock.advance(13 * DAY);
    // ... and at day 65, past the 60-day absolute limit, it ends however active the session was
    await t.http().post(api('refresh')).send({ refreshToken: rt }).expect(401);
  });
});

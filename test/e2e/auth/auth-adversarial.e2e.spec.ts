import { SignJWT, UnsecuredJWT } from 'jose';
import { Clock, FakeClock } from '../../../src/common/clock';
import { MAILER } from '../../../src/modules/mail/mailer';
import { createAuthenticatedUser } from '../../factories/auth.factory';
import { useTestApp } from '../../harness';
import { CapturingMailer } from './capturing-mailer';

const KEY = 'k1:e2e-signing-key-one-0123456789abcdef';
const OLD_KEY = 'k0:e2e-signing-key-zero-0123456789abcdef';

describe('auth: adversarial requests (e2e)', () => {
  const clock = new FakeClock(new Date());
  const t = useTestApp({
    env: {
      JWT_SIGNING_KEYS: `${KEY},${OLD_KEY}`,
      JWT_ISSUER: 'https://api.dashtam.test',
      JWT_AUDIENCE: 'dashtam-api',
    },
    overrides: [
      { provide: Clock, useValue: clock },
      { provide: MAILER, useValue: new CapturingMailer() },
    ],
  });
  const secret = (s: string) => new TextEncoder().encode(s.slice(s.indexOf(':') + 1));

  /** A token exactly like ours, with one thing changed by `tweak`. */
  async function forge(
    sub: string,
    sid: string,
    o: {
      alg?: string;
      kid?: string;
      typ?: string;
      iss?: string;
      aud?: string;
      key?: string;
      exp?: number;
      omitSid?: boolean;
    } = {},
  ): Promise<string> {
    const now = Math.floor(clock.now().getTime() / 1000);
    const jwt = new SignJWT(o.omitSid ? {} : { sid })
      .setProtectedHeader({ alg: o.alg ?? 'HS256', kid: o.kid ?? 'k1', typ: o.typ ?? 'at+jwt' })
      .setSubject(sub)
      .setIssuer(o.iss ?? 'https://api.dashtam.test')
      .setAudience(o.aud ?? 'dashtam-api')
      .setIssuedAt(now)
      .setExpirationTime(o.exp ?? now + 600);
    return jwt.sign(secret(o.key ?? KEY));
  }

  async function victim() {
    const u = await createAuthenticatedUser(t);
    const payload = JSON.parse(
      Buffer.from(u.accessToken.split('.')[1], 'base64url').toString(),
    ) as { sub: string; sid: string };
    return { ...u, sid: payload.sid };
  }

  const me = (token: string) =>
    t.http().get('/api/v1/auth/me').set('Authorization', `Bearer ${token}`);

  it('accepts a genuine token and one signed with the older key of the ring (rotation overlap)', async () => {
    const u = await victim();
    await me(u.accessToken).expect(200);
    await me(await forge(u.userId, u.sid, { kid: 'k0', key: OLD_KEY })).expect(200);
    const header = JSON.parse(Buffer.from(u.accessToken.split('.')[0], 'base64url').toString());
    expect(header).toEqual({ alg: 'HS256', kid: 'k1', typ: 'at+jwt' });
  });

  it.each([
    [
      'alg none',
      async (sub: string, sid: string) =>
        new UnsecuredJWT({ sid })
          .setSubject(sub)
          .setIssuer('https://api.dashtam.test')
          .setAudience('dashtam-api')
          .setExpirationTime('10m')
          .encode(),
    ],
    [
      'alg HS512 (not allowed) with the right key',
      (sub: string, sid: string) => forge(sub, sid, { alg: 'HS512' }),
    ],
    [
      'wrong key under our kid',
      (sub: string, sid: string) =>
        forge(sub, sid, { key: 'k1:attacker-key-attacker-key-attacker-key!' }),
    ],
    ['unknown kid', (sub: string, sid: string) => forge(sub, sid, { kid: 'k9' })],
    ['wrong kid for the key', (sub: string, sid: string) => forge(sub, sid, { kid: 'k0' })],
    [
      'wrong issuer',
      (sub: string, sid: string) => forge(sub, sid, { iss: 'https://evil.example' }),
    ],
    ['wrong audience', (sub: string, sid: string) => forge(sub, sid, { aud: 'other-api' })],
    ['wrong typ', (sub: string, sid: string) => forge(sub, sid, { typ: 'JWT' })],
    ['no session id', (sub: string, sid: string) => forge(sub, sid, { omitSid: true })],
    ['session id that is not a uuid', (sub: string) => forge(sub, 'not-a-uuid')],
    [
      'expired',
      (sub: string, sid: string) =>
        forge(sub, sid, { exp: Math.floor(clock.now().getTime() / 1000) - 60 }),
    ],
  ])('refuses %s with 401 problem+json', async (_name, make) => {
    const u = await victim();
    const token = await make(u.userId, u.sid);
    const res = await me(token).expect(401);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.body).toMatchObject({ status: 401, code: 'unauthorized' });
    expect(JSON.stringify(res.body)).not.toContain(token);
  });

  it('refuses a tampered payload (another user id under the original signature)', async () => {
    const a = await victim();
    const b = await victim();
    const [h, , s] = a.accessToken.split('.');
    const payload = JSON.parse(Buffer.from(a.accessToken.split('.')[1], 'base64url').toString());
    payload.sub = b.userId;
    await me(`${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`).expect(401);
  });

  it('refuses a validly signed token whose subject does not own the session', async () => {
    const a = await victim();
    const b = await victim();
    await me(await forge(b.userId, a.sid)).expect(401);
  });

  it('expires access tokens after 15 minutes (FakeClock)', async () => {
    const u = await victim();
    clock.advance(14 * 60 * 1000);
    await me(u.accessToken).expect(200);
    clock.advance(2 * 60 * 1000);
    await me(u.accessToken).expect(401);
  });

  it.each([
    ['no header', undefined],
    ['empty bearer', 'Bearer '],
    ['basic scheme', 'Basic dXNlcjpwYXNz'],
    ['garbage', 'Bearer not.a.jwt!'],
    ['three dots of nothing', 'Bearer ..'],
  ])('refuses %s', async (_n, header) => {
    const req = t.http().get('/api/v1/auth/me');
    if (header !== undefined) req.set('Authorization', header);
    await req.expect(401);
  });

  it("answers 404 for another user's session, an unknown id and a malformed id", async () => {
    const a = await victim();
    const b = await victim();
    const res = await t
      .http()
      .delete(`/api/v1/auth/sessions/${b.sid}`)
      .set(a.authHeader)
      .expect(404);
    expect(res.body.code).toBe('not_found');
    await me(b.accessToken).expect(200); // untouched
    await t
      .http()
      .delete('/api/v1/auth/sessions/00000000-0000-4000-8000-000000000000')
      .set(a.authHeader)
      .expect(404);
    await t.http().delete('/api/v1/auth/sessions/1%20OR%201=1').set(a.authHeader).expect(404);
  });

  it('refuses oversized (413), malformed (400) and over-specified (400) bodies', async () => {
    const big = await t
      .http()
      .post('/api/v1/auth/login')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ email: 'a@b.co', password: 'x'.repeat(101 * 1024) }))
      .expect(413);
    expect(big.body.code).toBe('payload_too_large');

    const bad = await t
      .http()
      .post('/api/v1/auth/login')
      .set('Content-Type', 'application/json')
      .send('{"email": "a@b.co",')
      .expect(400);
    expect(bad.body.code).toBe('malformed_json');

    const extra = await t
      .http()
      .post('/api/v1/auth/register')
      .send({
        email: 'x@example.test',
        password: 'long enough pw',
        isAdmin: true,
        roles: ['admin'],
      })
      .expect(400);
    expect(extra.body.code).toBe('validation_failed');
    expect(extra.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'isAdmin',
      'roles',
    ]);

    await t
      .http()
      .post('/api/v1/auth/login')
      .send({ email: 'not-an-email', password: 'whatever1' })
      .expect(400);
    await t
      .http()
      .post('/api/v1/auth/login')
      .send({ email: ['a@b.co'], password: 'whatever1' })
      .expect(400);
    await t.http().post('/api/v1/auth/refresh').send({}).expect(400);
  });

  it('refuses passwords outside 8–128 characters, counting code points', async () => {
    const short = await t
      .http()
      .post('/api/v1/auth/register')
      .send({ email: 'short@example.test', password: '1234567' })
      .expect(400);
    expect(short.body.code).toBe('invalid_password');
    await t
      .http()
      .post('/api/v1/auth/register')
      .send({ email: 'long@example.test', password: 'x'.repeat(129) })
      .expect(400);
    // 128 emoji are 256 UTF-16 units but 128 characters: accepted.
    await t
      .http()
      .post('/api/v1/auth/register')
      .send({ email: 'emoji@example.test', password: '🔑'.repeat(128) })
      .expect(201);
  });

  it('refuses random and forged refresh tokens without revealing anything', async () => {
    const u = await victim();
    const res = await t
      .http()
      .post('/api/v1/auth/refresh')
      .send({ refreshToken: 'A'.repeat(43) })
      .expect(401);
    expect(res.body.code).toBe('invalid_refresh_token');
    await t
      .http()
      .post('/api/v1/auth/refresh')
      .send({ refreshToken: u.accessToken.slice(0, 200) })
      .expect(401);
    // the real one still works: failed guesses do not touch the family
    await t.http().post('/api/v1/auth/refresh').send({ refreshToken: u.refreshToken }).expect(200);
  });
});

import { MAILER } from '../../../src/modules/mail/mailer';
import { createAuthenticatedUser } from '../../factories/auth.factory';
import { useTestApp } from '../../harness';
import { CapturingMailer } from '../auth/capturing-mailer';

const PROBLEM = /^application\/problem\+json/;
const json = (text: string) => ({ type: 'application/json', text });

describe('the edge: every client mistake is a 4xx problem, and the headers every response needs (e2e)', () => {
  const t = useTestApp({
    env: { CORS_ORIGINS: 'https://app.example.test' },
    overrides: [{ provide: MAILER, useValue: new CapturingMailer() }],
  });
  const raw = (path: string, body: { type: string; text: string }) =>
    t.http().post(`/api/v1/${path}`).set('Content-Type', body.type).send(body.text);
  const rowsOf = async (table: string) =>
    Number((await t.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n);

  it('deeply nested JSON (1,500 levels) is a 400, not a stack overflow, on an unthrottled public route', async () => {
    const deep = `${'{"a":'.repeat(1500)}1${'}'.repeat(1500)}`;
    for (const path of ['auth/verify-email', 'auth/login', 'auth/register']) {
      const res = await raw(path, json(deep));
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.body).toMatchObject({ code: 'body_too_complex', status: 400 });
    }
    const arrays = await raw(
      'auth/verify-email',
      json(`{"token":${'['.repeat(3000)}${']'.repeat(3000)}}`),
    );
    expect(arrays.body).toMatchObject({ code: 'body_too_complex' });
  });

  it('a body with too many fields is a 400', async () => {
    const wide = JSON.stringify(
      Object.fromEntries(Array.from({ length: 1500 }, (_, i) => [`k${i}`, i])),
    );
    const res = await raw('auth/verify-email', json(wide));
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('body_too_complex');
  });

  it.each([
    ['auth/register', '{"email":"\\ud800@example.com","password":"long enough password"}'],
    ['auth/login', '{"email":"a\\udc00@example.com","password":"x"}'],
    ['auth/verify-email/resend', '{"email":"\\ud800"}'],
    ['auth/password-reset/request', '{"email":"x\\ud83d@example.com"}'],
    ['auth/register', '{"email":"ok@example.com","password":"long enough \\ud800 password"}'],
    ['auth/verify-email', '{"token":"abc","\\ud800":1}'],
  ])('a lone surrogate in %s (%s) is a 400 naming the field', async (path, body) => {
    const users = await rowsOf('users');
    const res = await raw(path, json(body));
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body.code).toBe('malformed_unicode');
    expect(await rowsOf('users')).toBe(users);
  });

  it('well-formed astral characters (a surrogate pair) are accepted', async () => {
    const res = await raw(
      'auth/register',
      json(
        '{"email":"emoji@example.com","password":"passphrase \\ud83d\\ude00 ok","name":"\\ud83d\\ude00"}',
      ),
    );
    expect(res.status).toBe(201);
  });

  it.each(['constructor', '__proto__', 'prototype'])(
    'a `%s` key is refused like any unknown field',
    async (key) => {
      const res = await raw(
        'auth/login',
        json(`{"email":"a@example.com","password":"x","${key}":{"isAdmin":true}}`),
      );
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        code: 'validation_failed',
        errors: [{ field: key, messages: [`property ${key} should not exist`] }],
      });
      const nested = await raw('auth/verify-email', json(`{"token":{"${key}":1}}`));
      expect(nested.body).toMatchObject({
        code: 'validation_failed',
        errors: [{ field: `token.${key}` }],
      });
    },
  );

  it('a `__proto__` query parameter is refused too', async () => {
    const u = await createAuthenticatedUser(t);
    const res = await t.http().get('/api/v1/providers?__proto__=1').set(u.authHeader);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
  });

  it.each([
    ['application/x-www-form-urlencoded', 'email=a%40example.com&password=x'],
    ['text/plain', '{"email":"a@example.com","password":"x"}'],
    [
      'multipart/form-data; boundary=x',
      '--x\r\nContent-Disposition: form-data; name="email"\r\n\r\na@example.com\r\n--x--\r\n',
    ],
    ['application/vnd.api+json', '{"email":"a@example.com","password":"x"}'],
  ])('JSON routes refuse %s with 415', async (type, text) => {
    const u = await createAuthenticatedUser(t);
    const login = await raw('auth/login', {
      type,
      text: text.replace('a%40example.com', encodeURIComponent(u.email)),
    });
    expect(login.status).toBe(415);
    expect(login.headers['content-type']).toMatch(PROBLEM);
    expect(login.body.code).toBe('unsupported_media_type');
    expect(login.body.accessToken).toBeUndefined();
  });

  it('a bodyless POST needs no content type, and application/json with a charset is fine', async () => {
    const u = await createAuthenticatedUser(t);
    await t.http().post('/api/v1/auth/logout').set(u.authHeader).expect(204);
    const res = await raw('auth/login', {
      type: 'application/json; charset=utf-8',
      text: JSON.stringify({ email: u.email, password: u.password }),
    });
    expect(res.status).toBe(200);
  });

  it('the sandbox OAuth token endpoint still takes form bodies', async () => {
    const res = await t
      .http()
      .post('/sandbox/oauth/token')
      .type('form')
      .send({ grant_type: 'refresh_token', refresh_token: 'x' });
    expect(res.status).not.toBe(415);
    expect([401, 404]).toContain(res.status);
  });

  describe('response headers', () => {
    it('every response that carries a credential says Cache-Control: no-store', async () => {
      const u = await createAuthenticatedUser(t);
      const login = await t
        .http()
        .post('/api/v1/auth/login')
        .send({ email: u.email, password: u.password })
        .expect(200);
      expect(login.headers['cache-control']).toBe('no-store');
      const refresh = await t
        .http()
        .post('/api/v1/auth/refresh')
        .send({ refreshToken: login.body.refreshToken })
        .expect(200);
      expect(refresh.headers['cache-control']).toBe('no-store');
      const me = await t.http().get('/api/v1/auth/me').set(u.authHeader).expect(200);
      expect(me.headers['cache-control']).toBe('no-store');
      const failed = await t
        .http()
        .post('/api/v1/auth/login')
        .send({ email: u.email, password: 'wrong' })
        .expect(401);
      expect(failed.headers['cache-control']).toBe('no-store');
    });

    it('the API sends a strict Content-Security-Policy; only /docs allows inline scripts', async () => {
      const api = (await t.http().get('/health').expect(200)).headers['content-security-policy'];
      expect(api).toMatch(/script-src 'self'(;|$)/);
      expect(api).not.toContain('unsafe-inline');
      const docs = (await t.http().get('/docs').expect(200)).headers['content-security-policy'];
      expect(docs).toContain("script-src 'self' 'unsafe-inline'");
      // PUBLIC_URL is http here: upgrading would make Swagger UI fetch its assets over https (a blank page).
      expect(`${api} ${docs}`).not.toContain('upgrade-insecure-requests');
    });

    it('CORS preflights are cacheable and refusals carry CORS headers', async () => {
      const pre = await t
        .http()
        .options('/api/v1/auth/login')
        .set('Origin', 'https://app.example.test')
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'content-type');
      expect(pre.status).toBe(204);
      expect(Number(pre.headers['access-control-max-age'])).toBeGreaterThanOrEqual(600);
      const refused = await t
        .http()
        .post('/api/v1/auth/login')
        .set('Origin', 'https://app.example.test')
        .type('form')
        .send('email=x');
      expect(refused.status).toBe(415);
      expect(refused.headers['access-control-allow-origin']).toBe('https://app.example.test');
    });
  });
});

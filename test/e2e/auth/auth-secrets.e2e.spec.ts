import { randomUUID } from 'node:crypto';
import { PinoLogger } from 'nestjs-pino';
import pino from 'pino';
import { MAILER } from '../../../src/modules/mail/mailer';
import { useTestApp } from '../../harness';
import { CapturingMailer } from './capturing-mailer';

const api = (p: string) => `/api/v1/auth/${p}`;

// A file of its own: the production password parameters (which the stored hash shows) cost ~45 ms a hash, too
// much for every flow in auth-flows.e2e.spec.ts, and pino's root logger (whose stream this file reads) is one
// per file.
describe('auth: no secret in responses, logs or rows (e2e)', () => {
  const mailer = new CapturingMailer();
  const t = useTestApp({
    // Logs on (info) so the spec can read every line the app writes and look for secrets.
    env: { LOG_LEVEL: 'info', PASSWORD_HASHING: 'owasp' },
    overrides: [{ provide: MAILER, useValue: mailer }],
  });

  /** Every line pino writes (after its redaction formatters), read at the logger's destination stream. */
  let logLines: string[] = [];
  beforeEach(() => {
    logLines = [];
    const stream = (
      PinoLogger.root as unknown as Record<symbol, { write: (s: string) => boolean }>
    )[pino.symbols.streamSym];
    jest.spyOn(stream, 'write').mockImplementation((line: string) => {
      logLines.push(line);
      return true;
    });
  });
  afterEach(() => jest.restoreAllMocks());

  const login = (email: string, password: string) =>
    t.http().post(api('login')).set('User-Agent', 'jest').send({ email, password });

  it('never writes a password or token into a response or a log line', async () => {
    const email = `secret-${randomUUID()}@example.test`;
    const password = 'my secret passphrase 42';
    const reg = await t.http().post(api('register')).send({ email, password }).expect(201);
    const verifyToken = mailer.tokenIn(mailer.lastTo(email));
    await t.http().post(api('verify-email')).send({ token: verifyToken }).expect(204);
    const pair = (await login(email, password).expect(200)).body;
    const refreshed = (
      await t.http().post(api('refresh')).send({ refreshToken: pair.refreshToken }).expect(200)
    ).body;
    await login(email, 'wrong secret passphrase').expect(401);
    await t.http().post(api('password-reset/request')).send({ email }).expect(202);
    const resetToken = mailer.tokenIn(mailer.lastTo(email));
    await t
      .http()
      .post(api('password-reset/confirm'))
      .send({ token: resetToken, newPassword: 'another secret phrase' })
      .expect(204);

    const secrets = [
      password,
      'wrong secret passphrase',
      'another secret phrase',
      verifyToken,
      resetToken,
      pair.refreshToken,
      refreshed.refreshToken,
      pair.accessToken.split('.')[2],
    ];
    const logs = logLines.join('');
    expect(logLines.length).toBeGreaterThan(5); // the request logger did run
    for (const s of secrets) expect(logs).not.toContain(s);
    expect(JSON.stringify(reg.body)).not.toContain(password);
    const [user] = await t.dataSource.query(`SELECT password_hash FROM users WHERE email = $1`, [
      email,
    ]);
    expect(user.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    const stored = JSON.stringify(
      await t.dataSource.query(
        `SELECT * FROM sessions s FULL JOIN one_time_tokens o ON false FULL JOIN audit_events a ON false`,
      ),
    );
    for (const s of secrets) expect(stored).not.toContain(s);
  });
});

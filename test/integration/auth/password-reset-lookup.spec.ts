import { Clock, FakeClock } from '../../../src/common/clock';
import { AuditModule } from '../../../src/modules/audit/audit.module';
import { AuthModule } from '../../../src/modules/auth/auth.module';
import { LoginService } from '../../../src/modules/auth/login.service';
import { PasswordsService } from '../../../src/modules/auth/passwords.service';
import { PasswordService } from '../../../src/modules/auth/password.service';
import { MailModule } from '../../../src/modules/mail/mail.module';
import { MAILER } from '../../../src/modules/mail/mailer';
import { createAuthenticatedUser } from '../../factories/auth.factory';
import { useTestModule } from '../../harness';
import { CapturingMailer } from '../../e2e/auth/capturing-mailer';

const meta = { ip: '203.0.113.9', userAgent: 'spec', requestId: 'req-1' };

describe('password reset confirmation looks the token up before hashing (integration)', () => {
  const clock = new FakeClock(new Date());
  const mailer = new CapturingMailer();
  const m = useTestModule({
    imports: [AuditModule, MailModule, AuthModule],
    overrides: [
      { provide: Clock, useValue: clock },
      { provide: MAILER, useValue: mailer },
    ],
  });

  afterEach(() => jest.restoreAllMocks());

  it('a random token is refused without an argon2 hash', async () => {
    const hash = jest.spyOn(m.get<PasswordService>(PasswordService), 'hash');
    const attempt = m
      .get<PasswordsService>(PasswordsService)
      .confirmPasswordReset(
        { token: 'not-a-real-token', newPassword: 'a brand new passphrase' },
        meta,
      );
    await expect(attempt).rejects.toMatchObject({ code: 'invalid_token' });
    expect(hash).not.toHaveBeenCalled();
  });

  it('a live token still resets the password (one hash), and only once', async () => {
    const user = await createAuthenticatedUser(m);
    const auth = m.get<PasswordsService>(PasswordsService);
    await auth.requestPasswordReset(user.email, meta);
    const token = mailer.tokenIn(mailer.lastTo(user.email));
    const hash = jest.spyOn(m.get<PasswordService>(PasswordService), 'hash');
    await auth.confirmPasswordReset({ token: token, newPassword: 'a brand new passphrase' }, meta);
    expect(hash).toHaveBeenCalledTimes(1);
    await expect(
      auth.confirmPasswordReset({ token: token, newPassword: 'another passphrase!' }, meta),
    ).rejects.toMatchObject({ code: 'invalid_token' });
    expect(hash).toHaveBeenCalledTimes(1);
    await expect(
      m
        .get<LoginService>(LoginService)
        .login({ email: user.email, password: 'a brand new passphrase' }, meta),
    ).resolves.toHaveProperty('accessToken');
  });

  it('two confirmations racing with one token: both pass the lookup, the consuming UPDATE lets one win', async () => {
    const user = await createAuthenticatedUser(m);
    const auth = m.get<PasswordsService>(PasswordsService);
    await auth.requestPasswordReset(user.email, meta);
    const token = mailer.tokenIn(mailer.lastTo(user.email));
    const results = await Promise.allSettled([
      auth.confirmPasswordReset({ token, newPassword: 'first new passphrase' }, meta),
      auth.confirmPasswordReset({ token, newPassword: 'second new passphrase' }, meta),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused?.reason).toMatchObject({ code: 'invalid_token' });
  });
});

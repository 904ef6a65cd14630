import { Clock, FakeClock } from '../../../src/common/clock';
import { Transactions } from '../../../src/database/transactions';
import { AuditModule } from '../../../src/modules/audit/audit.module';
import { AccountMailService } from '../../../src/modules/auth/account-mail.service';
import { AuthModule } from '../../../src/modules/auth/auth.module';
import { sha256Hex } from '../../../src/modules/auth/crypto.util';
import { OneTimeTokensRepository } from '../../../src/modules/auth/one-time-tokens.repository';
import { PasswordService } from '../../../src/modules/auth/password.service';
import { PasswordsService } from '../../../src/modules/auth/passwords.service';
import { MailModule } from '../../../src/modules/mail/mail.module';
import { MAILER } from '../../../src/modules/mail/mailer';
import { CapturingMailer } from '../../e2e/auth/capturing-mailer';
import { createAuthenticatedUser } from '../../factories/auth.factory';
import { useTestModule } from '../../harness';

const meta = { ip: '203.0.113.9', userAgent: 'spec' };

describe('password-reset confirm (integration)', () => {
  const clock = new FakeClock(new Date());
  const m = useTestModule({
    imports: [AuditModule, MailModule, AuthModule],
    overrides: [
      { provide: Clock, useValue: clock },
      { provide: MAILER, useValue: new CapturingMailer() },
    ],
  });

  it('refuses an unknown token before hashing the new password', async () => {
    const hash = jest.spyOn(m.get<PasswordService>(PasswordService), 'hash');
    try {
      await expect(
        m
          .get<PasswordsService>(PasswordsService)
          .confirmPasswordReset(
            { token: 'never-issued', newPassword: 'brand new passphrase' },
            meta,
          ),
      ).rejects.toMatchObject({ code: 'invalid_token' });
      expect(hash).not.toHaveBeenCalled();
    } finally {
      hash.mockRestore();
    }
  });

  it('hashes once for a live token, and the token then counts as unknown', async () => {
    const u = await createAuthenticatedUser(m);
    const now = clock.now();
    await m.get<Transactions>(Transactions).run((tx) =>
      m.get<OneTimeTokensRepository>(OneTimeTokensRepository).create(tx.manager, {
        userId: u.userId,
        purpose: 'password_reset',
        tokenHash: sha256Hex('issued-token'),
        now,
        expiresAt: new Date(now.getTime() + 60_000),
      }),
    );
    const passwords = m.get<PasswordsService>(PasswordsService);
    const hash = jest.spyOn(m.get<PasswordService>(PasswordService), 'hash');
    try {
      const input = { token: 'issued-token', newPassword: 'brand new passphrase' };
      await passwords.confirmPasswordReset(input, meta);
      expect(hash).toHaveBeenCalledTimes(1);
      await expect(passwords.confirmPasswordReset(input, meta)).rejects.toMatchObject({
        code: 'invalid_token',
      });
      expect(hash).toHaveBeenCalledTimes(1);
    } finally {
      hash.mockRestore();
    }
  });

  it('a token used by a concurrent confirm after the look-up still answers invalid_token and writes nothing', async () => {
    const u = await createAuthenticatedUser(m);
    // The look-up saw the token live; a concurrent confirm used it before this one's transaction.
    const lookUp = jest
      .spyOn(m.get<AccountMailService>(AccountMailService), 'isRedeemable')
      .mockResolvedValueOnce(true);
    try {
      await expect(
        m
          .get<PasswordsService>(PasswordsService)
          .confirmPasswordReset(
            { token: 'already-used', newPassword: 'brand new passphrase' },
            meta,
          ),
      ).rejects.toMatchObject({ code: 'invalid_token' });
    } finally {
      lookUp.mockRestore();
    }
    const [row] = await m.dataSource.query(
      `SELECT (SELECT count(*) FROM audit_events WHERE type = 'password_reset')::int AS resets,
              (SELECT count(*) FROM sessions WHERE user_id = $1 AND revoked_at IS NULL)::int AS live`,
      [u.userId],
    );
    expect(row).toEqual({ resets: 0, live: 1 });
  });
});

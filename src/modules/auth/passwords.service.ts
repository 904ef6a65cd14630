import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock';
import type { RequestMeta } from '../../common/decorators/meta.decorator';
import { Transactions } from '../../database/transactions';
import { AuditService } from '../audit/audit.service';
import { AccountMailService } from './account-mail.service';
import { AuthError, AuthErrorCode } from './auth.errors';
import { normalizeEmail } from './crypto.util';
import { PasswordService } from './password.service';
import { decoyUser } from './registration.service';
import { SessionsRepository } from './sessions.repository';
import { UsersRepository } from './users.repository';

const invalidCurrentPassword = () => new AuthError(AuthErrorCode.INVALID_CURRENT_PASSWORD);

@Injectable()
export class PasswordsService {
  constructor(
    private readonly clock: Clock,
    private readonly transactions: Transactions,
    private readonly users: UsersRepository,
    private readonly sessions: SessionsRepository,
    private readonly passwords: PasswordService,
    private readonly audit: AuditService,
    private readonly mail: AccountMailService,
  ) {}

  async changePassword(
    userId: string,
    sessionId: string,
    input: { currentPassword: string; newPassword: string },
    meta: RequestMeta,
  ): Promise<void> {
    this.passwords.checkLength(input.newPassword);
    const user = await this.users.findById(userId);
    // While the account is locked the password is not even checked: otherwise a stolen access token could
    // keep guessing through the lock that login enforces.
    if (user?.lockedUntil && user.lockedUntil.getTime() > this.clock.now().getTime()) {
      throw invalidCurrentPassword();
    }
    if (!user || !(await this.passwords.verify(user.passwordHash, input.currentPassword))) {
      // A stolen access token must not become an unlimited password oracle: count it like a failed login.
      if (user) {
        const now = this.clock.now();
        await this.transactions.run(async (tx) => {
          await this.users.recordFailure(tx.manager, user.id, now, this.passwords.lockout);
          await this.audit.record(tx.manager, { type: 'password_change_failed', userId, ...meta });
        });
      }
      throw invalidCurrentPassword();
    }
    const passwordHash = await this.passwords.hash(input.newPassword);
    const now = this.clock.now();
    await this.transactions.run(async (tx) => {
      await this.users.setPassword(tx.manager, userId, passwordHash, now);
      const ended = await this.sessions.revokeAllForUser(
        tx.manager,
        userId,
        'password_change',
        now,
        sessionId,
      );
      await this.audit.record(tx.manager, {
        type: 'password_changed',
        userId,
        ...meta,
        data: { sessionsEnded: ended },
      });
      this.mail.passwordChanged(tx, user.email);
    });
  }

  async requestPasswordReset(emailInput: string, meta: RequestMeta): Promise<void> {
    const email = normalizeEmail(emailInput);
    const now = this.clock.now();
    await this.mail.runLinkRequest(async (tx) => {
      const found = await this.users.findByEmail(email, tx.manager);
      const user = found ?? decoyUser(email);
      await this.mail.issuePasswordReset(tx, user, now, !!found);
      await this.audit.record(tx.manager, {
        type: 'password_reset_requested',
        userId: user.id,
        ...meta,
      });
      return !!found;
    });
  }

  // An unknown token is refused before the argon2 hash: a guessed token must not cost us a hash.
  async confirmPasswordReset(
    input: { token: string; newPassword: string },
    meta: RequestMeta,
  ): Promise<void> {
    this.passwords.checkLength(input.newPassword);
    if (!(await this.mail.isRedeemable('password_reset', input.token, this.clock.now()))) {
      throw new AuthError(AuthErrorCode.INVALID_TOKEN);
    }
    const passwordHash = await this.passwords.hash(input.newPassword);
    const now = this.clock.now();
    const email = await this.transactions.run(async (tx) => {
      // Still the authority: a concurrent confirm may have used the token since the look-up.
      const userId = await this.mail.redeem(tx, 'password_reset', input.token, now);
      if (!userId) return null;
      await this.users.setPassword(tx.manager, userId, passwordHash, now);
      await this.users.markEmailVerified(tx.manager, userId, now);
      const ended = await this.sessions.revokeAllForUser(tx.manager, userId, 'password_reset', now);
      await this.audit.record(tx.manager, {
        type: 'password_reset',
        userId,
        ...meta,
        data: { sessionsEnded: ended },
      });
      const user = await this.users.findById(userId, tx.manager);
      this.mail.passwordChanged(tx, user!.email);
      return user!.email;
    });
    if (!email) throw new AuthError(AuthErrorCode.INVALID_TOKEN);
  }
}

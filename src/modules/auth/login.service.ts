import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock';
import type { RequestMeta } from '../../common/decorators/meta.decorator';
import { Transactions } from '../../database/transactions';
import { AuditService } from '../audit/audit.service';
import { TokenPairResponse } from './auth.dto';
import { AuthError, AuthErrorCode } from './auth.errors';
import { normalizeEmail } from './crypto.util';
import { PasswordService } from './password.service';
import { SessionTokensService } from './session-tokens.service';
import { UsersRepository } from './users.repository';

@Injectable()
export class LoginService {
  constructor(
    private readonly clock: Clock,
    private readonly transactions: Transactions,
    private readonly users: UsersRepository,
    private readonly passwords: PasswordService,
    private readonly sessionTokens: SessionTokensService,
    private readonly audit: AuditService,
  ) {}

  async login(
    input: { email: string; password: string },
    meta: RequestMeta,
  ): Promise<TokenPairResponse> {
    const email = normalizeEmail(input.email);
    const user = await this.users.findByEmail(email);
    // Always one argon2 verification, against a dummy hash when the account does not exist.
    const passwordOk = user
      ? await this.passwords.verify(user.passwordHash, input.password)
      : await this.passwords.verifyDummy(input.password);
    const now = this.clock.now();
    const locked = !!user?.lockedUntil && user.lockedUntil.getTime() > now.getTime();

    const result = await this.transactions.run(async (tx) => {
      // Lock the row and re-read the lock: a concurrent failure may have locked the account since the read above.
      const lockedNow =
        locked ||
        (!!user && passwordOk && (await this.users.isLockedForUpdate(tx.manager, user.id, now)));
      if (!user || !passwordOk || lockedNow) {
        const reason = !user ? 'unknown_email' : lockedNow ? 'locked' : 'bad_password';
        let lockedUntil: Date | null = null;
        if (user && !passwordOk) {
          lockedUntil =
            (await this.users.recordFailure(tx.manager, user.id, now, this.passwords.lockout))
              ?.lockedUntil ?? null;
        }
        await this.audit.record(tx.manager, {
          type: 'login_failed',
          userId: user?.id ?? null,
          ...meta,
          data: {
            reason,
            ...(user ? {} : { email }),
            ...(lockedUntil ? { lockedUntil: lockedUntil.toISOString() } : {}),
          },
        });
        return null;
      }
      await this.users.resetFailures(tx.manager, user.id);
      const session = await this.sessionTokens.start(tx.manager, user.id, now, meta);
      await this.audit.record(tx.manager, {
        type: 'login',
        userId: user.id,
        ...meta,
        data: { sessionId: session.sessionId },
      });
      return session;
    });
    if (!result) throw new AuthError(AuthErrorCode.INVALID_CREDENTIALS);
    return result.tokens;
  }

  /** A reused token's family revocation commits before the 401 is thrown. */
  async refresh(refreshToken: string, meta: RequestMeta): Promise<TokenPairResponse> {
    const now = this.clock.now();
    const tokens = await this.transactions.run(async (tx) => {
      const outcome = await this.sessionTokens.rotate(tx.manager, refreshToken, now, meta);
      if (outcome && 'reuse' in outcome) {
        const { sessionId, userId, revoked } = outcome.reuse;
        await this.audit.record(tx.manager, {
          type: 'refresh_reuse',
          userId,
          ...meta,
          data: { sessionId, revoked },
        });
        return null;
      }
      return outcome;
    });
    if (!tokens) throw new AuthError(AuthErrorCode.INVALID_REFRESH_TOKEN);
    return tokens;
  }
}

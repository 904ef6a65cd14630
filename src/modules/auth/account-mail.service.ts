import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../../config';
import { InjectConfig } from '../../config';
import { Clock } from '../../common/clock';
import { Transactions, Tx } from '../../database/transactions';
import type { Mailer, MailMessage } from '../mail/mailer';
import { MAILER } from '../mail/mailer';
import { AuthMails } from './auth.mails';
import { randomToken, sha256Hex } from './crypto.util';
import type { OneTimeTokenPurpose } from './one-time-token.entity';
import { OneTimeTokensRepository } from './one-time-tokens.repository';
import type { UserEntity } from './user.entity';

class DecoyRollback extends Error {}

// Only the SHA-256 of a link's token is stored.
@Injectable()
export class AccountMailService {
  private readonly logger = new Logger('Auth');

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly oneTimeTokens: OneTimeTokensRepository,
    @Inject(MAILER) private readonly mailer: Mailer,
  ) {}

  // Unknown emails run the same INSERTs and roll back (`work` returns false), so timing does not tell them
  // apart yet nothing is kept or mailed (docs/auth.md, bench/auth-timing.ts).
  async runLinkRequest(work: (tx: Tx) => Promise<boolean>): Promise<void> {
    try {
      await this.transactions.run(async (tx) => {
        await this.oneTimeTokens.skipCommitFlush(tx.manager);
        if (!(await work(tx))) throw new DecoyRollback();
      });
    } catch (err) {
      if (!(err instanceof DecoyRollback)) throw err;
    }
  }

  async issueVerification(tx: Tx, user: UserEntity, mail = true): Promise<void> {
    const ttl = this.config.auth.verifyEmailTtlSeconds;
    const token = await this.issue(tx, user.id, 'verify_email', this.clock.now(), ttl);
    if (!mail) return;
    this.sendAfterCommit(
      tx,
      AuthMails.verifyEmail(user.email, this.frontendUrl, token, Math.round(ttl / 3600)),
    );
  }

  async issuePasswordReset(tx: Tx, user: UserEntity, now: Date, mail: boolean): Promise<void> {
    const ttl = this.config.auth.passwordResetTtlSeconds;
    const token = await this.issue(tx, user.id, 'password_reset', now, ttl);
    if (!mail) return;
    this.sendAfterCommit(
      tx,
      AuthMails.passwordReset(user.email, this.frontendUrl, token, Math.round(ttl / 60)),
    );
  }

  isRedeemable(purpose: OneTimeTokenPurpose, token: string, now: Date): Promise<boolean> {
    return this.oneTimeTokens.isLive(this.dataSource.manager, purpose, sha256Hex(token), now);
  }

  // The account's other outstanding links of that kind die with it.
  async redeem(
    tx: Tx,
    purpose: OneTimeTokenPurpose,
    token: string,
    now: Date,
  ): Promise<string | null> {
    const userId = await this.oneTimeTokens.consume(tx.manager, purpose, sha256Hex(token), now);
    if (userId) await this.oneTimeTokens.invalidateAll(tx.manager, userId, purpose, now);
    return userId;
  }

  existingAccount(tx: Tx, email: string): void {
    this.sendAfterCommit(tx, AuthMails.existingAccount(email, this.frontendUrl));
  }

  passwordChanged(tx: Tx, email: string): void {
    this.sendAfterCommit(tx, AuthMails.passwordChanged(email, this.frontendUrl));
  }

  private get frontendUrl(): string {
    return this.config.app.frontendUrl;
  }

  private async issue(
    tx: Tx,
    userId: string,
    purpose: OneTimeTokenPurpose,
    now: Date,
    ttlSeconds: number,
  ): Promise<string> {
    const token = randomToken();
    await this.oneTimeTokens.create(tx.manager, {
      userId,
      purpose,
      tokenHash: sha256Hex(token),
      now,
      expiresAt: new Date(now.getTime() + ttlSeconds * 1000),
    });
    return token;
  }

  // After COMMIT and not awaited: response time must not reveal whether a mail was sent (enumeration), and an
  // SMTP outage must not fail the request.
  private sendAfterCommit(tx: Tx, message: MailMessage): void {
    tx.afterCommit(() => {
      this.mailer
        .send(message)
        .catch((err: Error) =>
          this.logger.warn({ subject: message.subject, error: err.name }, 'mail delivery failed'),
        );
    });
  }
}

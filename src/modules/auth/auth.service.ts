import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { AppConfig } from '../../config';
import { InjectConfig } from '../../config';
import { Clock } from '../../common/clock';
import { Transactions, Tx } from '../../database/transactions';
import type { RequestMeta } from '../../common/decorators/meta.decorator';
import { AuditService } from '../audit/audit.service';
import type { Mailer, MailMessage } from '../mail/mailer';
import { MAILER } from '../mail/mailer';
import { AccessTokenService } from './access-token.service';
import { AuthError, AuthErrorCode } from './auth.errors';
import { AuthMails } from './auth.mails';
import { normalizeEmail, randomToken, sha256Hex } from './crypto.util';
import { OneTimeTokensRepository } from './one-time-tokens.repository';
import { PASSWORD_MAX, PASSWORD_MIN, PasswordService } from './password.service';
import { SessionsRepository } from './sessions.repository';
import { UserEntity } from './user.entity';
import { UsersRepository } from './users.repository';

export interface UserView {
  id: string;
  email: string;
  name: string | null;
  emailVerified: boolean;
  roles: string[];
  createdAt: string;
}

export type RegisteredView = Omit<UserView, 'roles'>;

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

export interface SessionView {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  userAgent: string | null;
  ip: string | null;
  current: boolean;
}

const invalidCredentials = () => new AuthError(AuthErrorCode.INVALID_CREDENTIALS);
const invalidRefresh = () => new AuthError(AuthErrorCode.INVALID_REFRESH_TOKEN);
const invalidCurrentPassword = () => new AuthError(AuthErrorCode.INVALID_CURRENT_PASSWORD);
/** Thrown inside a decoy transaction to roll it back; never leaves the service. */
class DecoyRollback extends Error {}
const invalidOneTimeToken = () => new AuthError(AuthErrorCode.INVALID_TOKEN);

export function toUserView(user: UserEntity): UserView {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    emailVerified: user.emailVerifiedAt !== null,
    roles: user.roles,
    createdAt: user.createdAt.toISOString(),
  };
}

@Injectable()
export class AuthService {
  private readonly logger = new Logger('Auth');

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly transactions: Transactions,
    private readonly users: UsersRepository,
    private readonly sessions: SessionsRepository,
    private readonly oneTimeTokens: OneTimeTokensRepository,
    private readonly passwords: PasswordService,
    private readonly accessTokens: AccessTokenService,
    private readonly audit: AuditService,
    @Inject(MAILER) private readonly mailer: Mailer,
  ) {}

  // ---- registration and email verification -------------------------------------------------------------

  /**
   * Creates the account and mails a verification link. An existing address gets the same-shaped 201 and its
   * owner a notice instead. The password is hashed in both cases so the two take the same time.
   */
  async register(
    input: { email: string; password: string; name?: string | null },
    meta: RequestMeta,
  ): Promise<RegisteredView> {
    const email = normalizeEmail(input.email);
    const name = input.name?.trim() ?? null;
    this.checkPasswordLength(input.password);
    const passwordHash = await this.passwords.hash(input.password);
    const now = this.clock.now();
    return this.transactions.run(async (tx) => {
      const user = await this.users.insertIfAbsent(tx.manager, {
        email,
        name,
        passwordHash,
        roles: ['user'],
        emailVerifiedAt: null,
        now,
      });
      if (!user) {
        const existing = await this.users.findByEmail(email, tx.manager);
        await this.audit.record(tx.manager, {
          type: 'register_existing_email',
          userId: existing?.id,
          ...meta,
        });
        this.mailAfterCommit(tx, AuthMails.existingAccount(email, this.config.app.frontendUrl));
        return {
          id: randomUUID(),
          email,
          name,
          emailVerified: false,
          createdAt: now.toISOString(),
        };
      }
      await this.audit.record(tx.manager, { type: 'register', userId: user.id, ...meta });
      await this.issueVerification(tx, user);
      const { roles: _roles, ...view } = toUserView(user);
      return view;
    });
  }

  async verifyEmail(token: string, meta: RequestMeta): Promise<void> {
    const now = this.clock.now();
    const ok = await this.transactions.run(async (tx) => {
      const userId = await this.oneTimeTokens.consume(
        tx.manager,
        'verify_email',
        sha256Hex(token),
        now,
      );
      if (!userId) return false;
      await this.users.markEmailVerified(tx.manager, userId, now);
      await this.oneTimeTokens.invalidateAll(tx.manager, userId, 'verify_email', now);
      await this.audit.record(tx.manager, { type: 'email_verified', userId, ...meta });
      return true;
    });
    if (!ok) throw invalidOneTimeToken();
  }

  /** Always "accepted": only an existing, unverified account actually gets a new link. */
  async resendVerification(emailInput: string, meta: RequestMeta): Promise<void> {
    const email = normalizeEmail(emailInput);
    await this.withDecoy(async (tx) => {
      const user = await this.users.findByEmail(email, tx.manager);
      const real = !!user && !user.emailVerifiedAt;
      const target = real ? user : this.decoyUser(email);
      await this.audit.record(tx.manager, {
        type: 'verification_resent',
        userId: target.id,
        ...meta,
      });
      await this.issueVerification(tx, target, real);
      return real;
    });
  }

  /**
   * Runs `work`; when it returns false, rolls its writes back. Unknown (or already verified) emails go through
   * the same INSERTs as real ones so the response time does not tell them apart, but nothing is kept or mailed
   * (figures in docs/auth.md, bench/auth-timing.ts).
   */
  private async withDecoy(work: (tx: Tx) => Promise<boolean>): Promise<void> {
    try {
      await this.transactions.run(async (tx) => {
        // A rollback never waits for the WAL flush that a COMMIT does (~2 ms here, the largest remaining
        // difference). These rows may be lost in a crash at no cost (the user asks again), so neither path waits.
        await tx.manager.query(`SET LOCAL synchronous_commit = off`);
        if (!(await work(tx))) throw new DecoyRollback();
      });
    } catch (err) {
      if (!(err instanceof DecoyRollback)) throw err;
    }
  }

  /** Stands in for a missing account in a transaction that will be rolled back. */
  private decoyUser(email: string): UserEntity {
    return Object.assign(new UserEntity(), { id: randomUUID(), email });
  }

  private async issueVerification(tx: Tx, user: UserEntity, mail = true): Promise<void> {
    const ttl = this.config.auth.verifyEmailTtlSeconds;
    const token = await this.issueOneTimeToken(tx, user.id, 'verify_email', this.clock.now(), ttl);
    if (!mail) return;
    this.mailAfterCommit(
      tx,
      AuthMails.verifyEmail(user.email, this.config.app.frontendUrl, token, Math.round(ttl / 3600)),
    );
  }

  /** A random single-use token; only its SHA-256 is stored. Returns the token for the mail. */
  private async issueOneTimeToken(
    tx: Tx,
    userId: string,
    purpose: 'verify_email' | 'password_reset',
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

  // ---- login, refresh, logout ------------------------------------------------------------------------

  async login(input: { email: string; password: string }, meta: RequestMeta): Promise<TokenPair> {
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
            (await this.users.recordFailure(tx.manager, user.id, now, this.lockoutPolicy()))
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
      const pair = await this.startSession(tx, user.id, now, meta);
      await this.audit.record(tx.manager, {
        type: 'login',
        userId: user.id,
        ...meta,
        data: { sessionId: pair.sessionId },
      });
      return pair;
    });
    if (!result) throw invalidCredentials();
    return result.tokens;
  }

  private async startSession(
    tx: Tx,
    userId: string,
    now: Date,
    meta: RequestMeta,
  ): Promise<{ sessionId: string; tokens: TokenPair }> {
    const refreshToken = randomToken();
    const a = this.config.auth;
    const absoluteExpiresAt = new Date(now.getTime() + a.refreshAbsoluteTtlSeconds * 1000);
    const sessionId = await this.sessions.create(tx.manager, {
      userId,
      refreshHash: sha256Hex(refreshToken),
      now,
      idleExpiresAt: new Date(
        Math.min(now.getTime() + a.refreshIdleTtlSeconds * 1000, absoluteExpiresAt.getTime()),
      ),
      absoluteExpiresAt,
      userAgent: meta.userAgent?.slice(0, 512) ?? null,
      ip: meta.ip ?? null,
    });
    return { sessionId, tokens: await this.pair(userId, sessionId, refreshToken) };
  }

  private async pair(userId: string, sessionId: string, refreshToken: string): Promise<TokenPair> {
    return {
      accessToken: await this.accessTokens.sign({ userId, sessionId }),
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: this.accessTokens.ttlSeconds,
    };
  }

  /**
   * Rotation by compare-and-swap. A token that was already rotated away (or loses a concurrent rotation)
   * is reuse: the whole family (the session) is revoked and `refresh_reuse` audited. The revocation commits
   * before the 401 is thrown.
   */
  async refresh(refreshToken: string, meta: RequestMeta): Promise<TokenPair> {
    const oldHash = sha256Hex(refreshToken);
    const now = this.clock.now();
    const outcome = await this.transactions.run(async (tx): Promise<TokenPair | 'invalid'> => {
      const session = await this.sessions.findByRefreshHash(tx.manager, oldHash);
      if (session) {
        const newToken = randomToken();
        const rotated = await this.sessions.rotate(tx.manager, {
          sessionId: session.id,
          oldHash,
          newHash: sha256Hex(newToken),
          now,
          idleTtlSeconds: this.config.auth.refreshIdleTtlSeconds,
          ip: meta.ip ?? null,
          userAgent: meta.userAgent?.slice(0, 512) ?? null,
        });
        if (rotated) return this.pair(session.userId, session.id, newToken);
        if (session.revokedAt || session.idleExpiresAt <= now || session.absoluteExpiresAt <= now)
          return 'invalid';
        // Live session, but the hash moved under us: a concurrent use of the same token.
        await this.revokeFamily(tx, session.id, session.userId, now, meta);
        return 'invalid';
      }
      const familyId = await this.sessions.findSessionIdByRotatedHash(tx.manager, oldHash);
      if (familyId) {
        const familyUserId = await this.sessions.findUserId(tx.manager, familyId);
        await this.revokeFamily(tx, familyId, familyUserId, now, meta);
      }
      return 'invalid';
    });
    if (outcome === 'invalid') throw invalidRefresh();
    return outcome;
  }

  private async revokeFamily(
    tx: Tx,
    sessionId: string,
    userId: string | null,
    now: Date,
    meta: RequestMeta,
  ): Promise<void> {
    const revoked = await this.sessions.revoke(tx.manager, sessionId, 'refresh_reuse', now);
    await this.audit.record(tx.manager, {
      type: 'refresh_reuse',
      userId,
      ...meta,
      data: { sessionId, revoked },
    });
  }

  async logout(userId: string, sessionId: string, meta: RequestMeta): Promise<void> {
    await this.transactions.run(async (tx) => {
      await this.sessions.revoke(tx.manager, sessionId, 'logout', this.clock.now(), userId);
      await this.audit.record(tx.manager, { type: 'logout', userId, ...meta, data: { sessionId } });
    });
  }

  async logoutAll(userId: string, meta: RequestMeta): Promise<void> {
    await this.transactions.run(async (tx) => {
      const count = await this.sessions.revokeAllForUser(
        tx.manager,
        userId,
        'logout_all',
        this.clock.now(),
      );
      await this.audit.record(tx.manager, {
        type: 'logout_all',
        userId,
        ...meta,
        data: { sessions: count },
      });
    });
  }

  // ---- profile and sessions ----------------------------------------------------------------------------

  async me(userId: string): Promise<UserView> {
    const user = await this.users.findById(userId);
    if (!user) throw new AuthError(AuthErrorCode.UNAUTHORIZED);
    return toUserView(user);
  }

  async updateMe(userId: string, input: { name: string }): Promise<UserView> {
    await this.transactions.run((tx) =>
      this.users.updateName(tx.manager, userId, input.name.trim(), this.clock.now()),
    );
    return this.me(userId);
  }

  async listSessions(userId: string, currentSessionId: string): Promise<SessionView[]> {
    const rows = await this.sessions.listLive(userId, this.clock.now());
    return rows.map((s) => ({
      id: s.id,
      createdAt: s.createdAt.toISOString(),
      lastUsedAt: s.lastUsedAt.toISOString(),
      userAgent: s.userAgent,
      ip: s.ip,
      current: s.id === currentSessionId,
    }));
  }

  /** Another user's session, an unknown id and an already-ended session all answer 404. */
  async revokeSession(userId: string, sessionId: string, meta: RequestMeta): Promise<void> {
    const ok = await this.transactions.run(async (tx) => {
      const revoked = await this.sessions.revoke(
        tx.manager,
        sessionId,
        'revoked_by_user',
        this.clock.now(),
        userId,
      );
      if (revoked)
        await this.audit.record(tx.manager, {
          type: 'session_revoked',
          userId,
          ...meta,
          data: { sessionId },
        });
      return revoked;
    });
    if (!ok) throw new AuthError(AuthErrorCode.SESSION_NOT_FOUND);
  }

  // ---- passwords -----------------------------------------------------------------------------------------

  async changePassword(
    userId: string,
    sessionId: string,
    input: { currentPassword: string; newPassword: string },
    meta: RequestMeta,
  ): Promise<void> {
    this.checkPasswordLength(input.newPassword);
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
          await this.users.recordFailure(tx.manager, user.id, now, this.lockoutPolicy());
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
      this.mailAfterCommit(tx, AuthMails.passwordChanged(user.email, this.config.app.frontendUrl));
    });
  }

  /** Always "accepted"; an existing account gets a single-use link. */
  async requestPasswordReset(emailInput: string, meta: RequestMeta): Promise<void> {
    const email = normalizeEmail(emailInput);
    const now = this.clock.now();
    await this.withDecoy(async (tx) => {
      const found = await this.users.findByEmail(email, tx.manager);
      const user = found ?? this.decoyUser(email);
      const ttl = this.config.auth.passwordResetTtlSeconds;
      const token = await this.issueOneTimeToken(tx, user.id, 'password_reset', now, ttl);
      await this.audit.record(tx.manager, {
        type: 'password_reset_requested',
        userId: user.id,
        ...meta,
      });
      if (!found) return false;
      this.mailAfterCommit(
        tx,
        AuthMails.passwordReset(
          user.email,
          this.config.app.frontendUrl,
          token,
          Math.round(ttl / 60),
        ),
      );
      return true;
    });
  }

  /** Sets the password, ends every session, clears any lockout and (the mailbox is proven) verifies the email. */
  async confirmPasswordReset(
    input: { token: string; newPassword: string },
    meta: RequestMeta,
  ): Promise<void> {
    this.checkPasswordLength(input.newPassword);
    const now = this.clock.now();
    // Look the token up before hashing: a guessed token must not cost a full argon2 hash.
    const tokenHash = sha256Hex(input.token);
    const live = await this.transactions.run((tx) =>
      this.oneTimeTokens.isLive(tx.manager, 'password_reset', tokenHash, now),
    );
    if (!live) throw invalidOneTimeToken();
    const passwordHash = await this.passwords.hash(input.newPassword);
    const email = await this.transactions.run(async (tx) => {
      const userId = await this.oneTimeTokens.consume(tx.manager, 'password_reset', tokenHash, now);
      if (!userId) return null;
      await this.users.setPassword(tx.manager, userId, passwordHash, now);
      await this.users.markEmailVerified(tx.manager, userId, now);
      await this.oneTimeTokens.invalidateAll(tx.manager, userId, 'password_reset', now);
      const ended = await this.sessions.revokeAllForUser(tx.manager, userId, 'password_reset', now);
      await this.audit.record(tx.manager, {
        type: 'password_reset',
        userId,
        ...meta,
        data: { sessionsEnded: ended },
      });
      const user = await this.users.findById(userId, tx.manager);
      this.mailAfterCommit(tx, AuthMails.passwordChanged(user!.email, this.config.app.frontendUrl));
      return user!.email;
    });
    if (!email) throw invalidOneTimeToken();
  }

  // ---- administration ------------------------------------------------------------------------------------

  /** CLI bootstrap: creates a verified admin, or grants `admin` to an existing account (password untouched). */
  async createAdmin(
    emailInput: string,
    password: string,
  ): Promise<{ id: string; created: boolean }> {
    const email = normalizeEmail(emailInput);
    this.checkPasswordLength(password);
    const passwordHash = await this.passwords.hash(password);
    const now = this.clock.now();
    return this.transactions.run(async (tx) => {
      const inserted = await this.users.insertIfAbsent(tx.manager, {
        email,
        name: null,
        passwordHash,
        roles: ['user', 'admin'],
        emailVerifiedAt: now,
        now,
      });
      const user = inserted ?? (await this.users.findByEmail(email, tx.manager));
      if (!inserted) await this.users.addRole(tx.manager, user!.id, 'admin', now);
      await this.audit.record(tx.manager, {
        type: 'admin_created',
        userId: user!.id,
        data: { via: 'cli', newAccount: !!inserted },
      });
      return { id: user!.id, created: !!inserted };
    });
  }

  // ---- helpers -------------------------------------------------------------------------------------------

  private checkPasswordLength(password: string): void {
    // Counted in code points, so a passphrase in any script gets the full 128 characters.
    const length = [...password].length;
    if (length < PASSWORD_MIN || length > PASSWORD_MAX) {
      throw new AuthError(
        AuthErrorCode.INVALID_PASSWORD,
        `The password must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters long.`,
      );
    }
  }

  private lockoutPolicy() {
    const a = this.config.auth;
    return {
      threshold: a.lockoutThreshold,
      baseSeconds: a.lockoutBaseSeconds,
      maxSeconds: a.lockoutMaxSeconds,
      decaySeconds: a.lockoutDecaySeconds,
    };
  }

  /**
   * Mail leaves only after COMMIT, and without awaiting delivery: the response time must not reveal whether
   * a mail was sent (enumeration), and an SMTP outage must not fail the request.
   */
  private mailAfterCommit(tx: Tx, message: MailMessage): void {
    tx.afterCommit(() => {
      this.mailer
        .send(message)
        .catch((err: Error) =>
          this.logger.warn({ subject: message.subject, error: err.name }, 'mail delivery failed'),
        );
    });
  }
}

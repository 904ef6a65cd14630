import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Clock } from '../../common/clock';
import type { RequestMeta } from '../../common/decorators/meta.decorator';
import { Transactions } from '../../database/transactions';
import { AuditService } from '../audit/audit.service';
import { AccountMailService } from './account-mail.service';
import { RegisteredResponse } from './auth.dto';
import { AuthError, AuthErrorCode } from './auth.errors';
import { toRegisteredView } from './auth.views';
import { normalizeEmail } from './crypto.util';
import { PasswordService } from './password.service';
import { UserEntity } from './user.entity';
import { UsersRepository } from './users.repository';

export function decoyUser(email: string, fields: Partial<UserEntity> = {}): UserEntity {
  return Object.assign(new UserEntity(), { id: randomUUID(), email, ...fields });
}

@Injectable()
export class RegistrationService {
  constructor(
    private readonly clock: Clock,
    private readonly transactions: Transactions,
    private readonly users: UsersRepository,
    private readonly passwords: PasswordService,
    private readonly audit: AuditService,
    private readonly mail: AccountMailService,
  ) {}

  // An existing address gets the same-shaped 201 (its owner a notice); hashing in both cases equalises timing.
  async register(
    input: { email: string; password: string; name?: string | null },
    meta: RequestMeta,
  ): Promise<RegisteredResponse> {
    const email = normalizeEmail(input.email);
    const name = input.name?.trim() ?? null;
    this.passwords.checkLength(input.password);
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
        this.mail.existingAccount(tx, email);
        return toRegisteredView(decoyUser(email, { name, emailVerifiedAt: null, createdAt: now }));
      }
      await this.audit.record(tx.manager, { type: 'register', userId: user.id, ...meta });
      await this.mail.issueVerification(tx, user);
      return toRegisteredView(user);
    });
  }

  async verifyEmail(token: string, meta: RequestMeta): Promise<void> {
    const now = this.clock.now();
    const ok = await this.transactions.run(async (tx) => {
      const userId = await this.mail.redeem(tx, 'verify_email', token, now);
      if (!userId) return false;
      await this.users.markEmailVerified(tx.manager, userId, now);
      await this.audit.record(tx.manager, { type: 'email_verified', userId, ...meta });
      return true;
    });
    if (!ok) throw new AuthError(AuthErrorCode.INVALID_TOKEN);
  }

  async resendVerification(emailInput: string, meta: RequestMeta): Promise<void> {
    const email = normalizeEmail(emailInput);
    await this.mail.runLinkRequest(async (tx) => {
      const user = await this.users.findByEmail(email, tx.manager);
      const real = !!user && !user.emailVerifiedAt;
      const target = real ? user : decoyUser(email);
      await this.audit.record(tx.manager, {
        type: 'verification_resent',
        userId: target.id,
        ...meta,
      });
      await this.mail.issueVerification(tx, target, real);
      return real;
    });
  }

  // An existing account is granted `admin`, its password untouched.
  async createAdmin(
    emailInput: string,
    password: string,
  ): Promise<{ id: string; created: boolean }> {
    const email = normalizeEmail(emailInput);
    this.passwords.checkLength(password);
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
}

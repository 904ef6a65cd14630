import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock';
import type { RequestMeta } from '../../common/decorators/meta.decorator';
import { Transactions } from '../../database/transactions';
import { AuditService } from '../audit/audit.service';
import { MeResponse, SessionResponse } from './auth.dto';
import { AuthError, AuthErrorCode } from './auth.errors';
import { toSessionView, toUserView } from './auth.views';
import { SessionsRepository } from './sessions.repository';
import { UsersRepository } from './users.repository';

/** The signed-in account: its profile and its sessions (listing, ending one, logout). */
@Injectable()
export class AccountService {
  constructor(
    private readonly clock: Clock,
    private readonly transactions: Transactions,
    private readonly users: UsersRepository,
    private readonly sessions: SessionsRepository,
    private readonly audit: AuditService,
  ) {}

  async me(userId: string): Promise<MeResponse> {
    const user = await this.users.findById(userId);
    if (!user) throw new AuthError(AuthErrorCode.UNAUTHORIZED);
    return toUserView(user);
  }

  async updateMe(userId: string, input: { name: string }): Promise<MeResponse> {
    await this.transactions.run((tx) =>
      this.users.updateName(tx.manager, userId, input.name.trim(), this.clock.now()),
    );
    return this.me(userId);
  }

  async listSessions(userId: string, currentSessionId: string): Promise<SessionResponse[]> {
    const rows = await this.sessions.listLive(userId, this.clock.now());
    return rows.map((s) => toSessionView(s, currentSessionId));
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
}

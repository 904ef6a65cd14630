import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { AppConfig } from '../../config';
import { InjectConfig } from '../../config';
import type { RequestMeta } from '../../common/decorators/meta.decorator';
import { AccessTokenService } from './access-token.service';
import { TokenPairResponse } from './auth.dto';
import { toTokenPair } from './auth.views';
import { randomToken, sha256Hex } from './crypto.util';
import { SessionsRepository } from './sessions.repository';

export interface RefreshReuse {
  sessionId: string;
  userId: string | null;
  revoked: boolean;
}

@Injectable()
export class SessionTokensService {
  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly sessions: SessionsRepository,
    private readonly accessTokens: AccessTokenService,
  ) {}

  async start(
    manager: EntityManager,
    userId: string,
    now: Date,
    meta: RequestMeta,
  ): Promise<{ sessionId: string; tokens: TokenPairResponse }> {
    const refreshToken = randomToken();
    const a = this.config.auth;
    const absoluteExpiresAt = new Date(now.getTime() + a.refreshAbsoluteTtlSeconds * 1000);
    const sessionId = await this.sessions.create(manager, {
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

  // A token already rotated away (or losing a concurrent rotation) is reuse: the whole family is revoked.
  async rotate(
    manager: EntityManager,
    refreshToken: string,
    now: Date,
    meta: RequestMeta,
  ): Promise<TokenPairResponse | { reuse: RefreshReuse } | null> {
    const oldHash = sha256Hex(refreshToken);
    const session = await this.sessions.findByRefreshHash(manager, oldHash);
    if (session) {
      const newToken = randomToken();
      const rotated = await this.sessions.rotate(manager, {
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
        return null;
      // Live session, but the hash moved under us: a concurrent use of the same token.
      return this.revokeFamily(manager, session.id, session.userId, now);
    }
    const familyId = await this.sessions.findSessionIdByRotatedHash(manager, oldHash);
    if (!familyId) return null;
    return this.revokeFamily(
      manager,
      familyId,
      await this.sessions.findUserId(manager, familyId),
      now,
    );
  }

  private async revokeFamily(
    manager: EntityManager,
    sessionId: string,
    userId: string | null,
    now: Date,
  ): Promise<{ reuse: RefreshReuse }> {
    const revoked = await this.sessions.revoke(manager, sessionId, 'refresh_reuse', now);
    return { reuse: { sessionId, userId, revoked } };
  }

  private async pair(
    userId: string,
    sessionId: string,
    refreshToken: string,
  ): Promise<TokenPairResponse> {
    const accessToken = await this.accessTokens.sign({ userId, sessionId });
    return toTokenPair(accessToken, refreshToken, this.accessTokens.ttlSeconds);
  }
}

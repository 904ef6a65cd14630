import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { AppConfig } from '../../config';
import { InjectConfig } from '../../config';
import { Clock } from '../../common/clock';
import {
  AuthUser,
  REQUIRE_VERIFIED_EMAIL,
  ROLES,
} from '../../common/decorators/current-user.decorator';
import { IS_PUBLIC } from '../../common/decorators/public.decorator';
import { AppException } from '../../common/errors/app.exception';
import { isUuid } from '../../common/uuid';
import { AccessTokenService, InvalidAccessToken } from './access-token.service';
import { SessionsRepository } from './sessions.repository';

export const unauthorized = () =>
  new AppException(
    401,
    'unauthorized',
    'Authentication required.',
    {},
    { 'WWW-Authenticate': 'Bearer' },
  );

// After the JWT checks, one primary-key lookup confirms the session is live, so logout takes effect at once.
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly accessTokens: AccessTokenService,
    private readonly sessions: SessionsRepository,
    private readonly clock: Clock,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    // Deny by default: a transport this guard does not know how to authenticate is refused, not waved through.
    if (context.getType() !== 'http') throw unauthorized();
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) {
      // @Public() would silently void @Roles/@RequireVerifiedEmail on the same route: a programming error.
      if (
        this.reflector.getAllAndOverride<boolean>(REQUIRE_VERIFIED_EMAIL, targets) ||
        this.reflector.getAllAndOverride<string[] | undefined>(ROLES, targets)?.length
      ) {
        throw new Error(
          `${context.getClass().name}.${context.getHandler().name}: @Public() cannot be combined with @Roles() or @RequireVerifiedEmail()`,
        );
      }
      return true;
    }

    const req = context.switchToHttp().getRequest<Request & { user?: AuthUser }>();
    const user = await this.authenticate(req.headers.authorization);
    req.user = user;

    if (
      this.reflector.getAllAndOverride<boolean>(REQUIRE_VERIFIED_EMAIL, targets) &&
      !user.emailVerified
    ) {
      throw new AppException(
        403,
        'email_not_verified',
        'Verify your email address before using this feature.',
      );
    }
    const roles = this.reflector.getAllAndOverride<string[] | undefined>(ROLES, targets);
    if (roles?.length && !roles.some((r) => user.roles.includes(r))) {
      throw new AppException(403, 'forbidden', 'You do not have permission to do this.');
    }
    return true;
  }

  private async authenticate(header: string | undefined): Promise<AuthUser> {
    const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/.exec(header ?? '');
    if (!match) throw unauthorized();
    let claims;
    try {
      claims = await this.accessTokens.verify(match[1]);
    } catch (err) {
      if (err instanceof InvalidAccessToken) throw unauthorized();
      throw err;
    }
    if (!isUuid(claims.sessionId) || !isUuid(claims.userId)) throw unauthorized();
    if (!this.config.auth.sessionCheck) {
      // Benchmark-only mode (refused in production): trust the JWT alone.
      return {
        id: claims.userId,
        sessionId: claims.sessionId,
        email: '',
        emailVerified: false,
        roles: [],
      };
    }
    const live = await this.sessions.findLive(claims.sessionId, claims.userId, this.clock.now());
    if (!live) throw unauthorized();
    return {
      id: claims.userId,
      sessionId: claims.sessionId,
      email: live.email,
      emailVerified: live.emailVerified,
      roles: live.roles,
    };
  }
}

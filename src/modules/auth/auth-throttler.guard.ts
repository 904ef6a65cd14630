import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail, ThrottlerOptions } from '@nestjs/throttler';
import type { AuthSettings } from '../../config/auth.config';
import { AppException } from '../../common/errors/app.exception';
import { normalizeEmail, sha256Hex } from './crypto.util';

function bodyEmail(context: ExecutionContext): string | undefined {
  const body = context.switchToHttp().getRequest<{ body?: { email?: unknown } }>().body;
  return typeof body?.email === 'string' && body.email.length <= 320
    ? normalizeEmail(body.email)
    : undefined;
}

/**
 * Two named throttlers on the public auth routes: `ip` (req.ip, which honours X-Forwarded-For only from
 * TRUSTED_PROXIES via Express "trust proxy") and `account` (the email in the body; skipped on routes without
 * one). Keys include the route, so login and register have separate budgets.
 */
export function authThrottlers(settings: AuthSettings): ThrottlerOptions[] {
  const { ttlMs, ipLimit, accountLimit } = settings.throttle;
  return [
    { name: 'ip', ttl: ttlMs, limit: ipLimit },
    {
      name: 'account',
      ttl: ttlMs,
      limit: accountLimit,
      skipIf: (context) => bodyEmail(context) === undefined,
      // Hashed so the storage (Redis) never holds email addresses.
      getTracker: (_req, context) => `account:${sha256Hex(bodyEmail(context) ?? '')}`,
    },
  ];
}

/** Applied per route with `@UseGuards(AuthThrottlerGuard)`; answers 429 problem+json with Retry-After. */
@Injectable()
export class AuthThrottlerGuard extends ThrottlerGuard {
  protected override async throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const retryAfter = String(Math.max(1, detail.timeToBlockExpire));
    throw new AppException(
      429,
      'too_many_requests',
      'Too many requests. Try again later.',
      {},
      { 'Retry-After': retryAfter },
    );
  }
}

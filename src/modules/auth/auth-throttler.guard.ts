import { ExecutionContext, HttpException, Injectable, Logger } from '@nestjs/common';
import {
  normalizeIp,
  ThrottlerGuard,
  ThrottlerLimitDetail,
  ThrottlerOptions,
} from '@nestjs/throttler';
import type { AuthSettings } from '../../config/auth.config';
import { AppException } from '../../common/errors/app.exception';
import { normalizeEmail, sha256Hex } from './crypto.util';

function bodyEmail(context: ExecutionContext): string | undefined {
  const body = context.switchToHttp().getRequest<{ body?: { email?: unknown } }>().body;
  return typeof body?.email === 'string' && body.email.length <= 320
    ? normalizeEmail(body.email)
    : undefined;
}

function clientIp(req: Record<string, unknown>): string {
  return typeof req.ip === 'string' ? normalizeIp(req.ip) : '';
}

function signedInUser(context: ExecutionContext): string | undefined {
  return context.switchToHttp().getRequest<{ user?: { id?: string } }>().user?.id;
}

// `ip` honours X-Forwarded-For only from TRUSTED_PROXIES; `account` keys the email with the client IP, so an
// attacker's requests spend their own address's budget for the account, not the owner's; `account_global` is a
// looser cap on the email alone; `user` stops a stolen access token guessing at full speed.
export function authThrottlers(settings: AuthSettings): ThrottlerOptions[] {
  const { ttlMs, ipLimit, accountLimit, accountGlobalLimit } = settings.throttle;
  const noEmail = (context: ExecutionContext) => bodyEmail(context) === undefined;
  return [
    { name: 'ip', ttl: ttlMs, limit: ipLimit },
    {
      name: 'account',
      ttl: ttlMs,
      limit: accountLimit,
      skipIf: noEmail,
      // Hashed so the storage (Redis) never holds email addresses. IPv6 grouped by /64 like the `ip` throttler:
      // one subscriber holds a whole /64, and each of its addresses must not get a fresh budget.
      getTracker: (req, context) =>
        `account:${sha256Hex(`${bodyEmail(context) ?? ''}\n${clientIp(req)}`)}`,
    },
    {
      name: 'account_global',
      ttl: ttlMs,
      limit: accountGlobalLimit,
      skipIf: noEmail,
      getTracker: (_req, context) => `account:${sha256Hex(bodyEmail(context) ?? '')}`,
    },
    {
      name: 'user',
      ttl: ttlMs,
      limit: accountLimit,
      skipIf: (context) => signedInUser(context) === undefined,
      getTracker: (_req, context) => `user:${signedInUser(context) ?? ''}`,
    },
  ];
}

@Injectable()
export class AuthThrottlerGuard extends ThrottlerGuard {
  private readonly storageLogger = new Logger('AuthThrottler');
  private storageDown = false;

  // A failing store (Redis down) must not become a 500 nor let requests through: 503, logged once per outage.
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    let allowed: boolean;
    try {
      allowed = await super.canActivate(context);
    } catch (err) {
      if (err instanceof AppException || err instanceof HttpException) throw err;
      if (!this.storageDown) {
        this.storageDown = true;
        this.storageLogger.error(
          { error: (err as Error).name },
          'rate limiter storage unavailable',
        );
      }
      throw new AppException(
        503,
        'rate_limiter_unavailable',
        'The service is temporarily unavailable. Try again later.',
      );
    }
    this.storageDown = false;
    return allowed;
  }

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

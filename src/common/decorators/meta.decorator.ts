import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

/** Caller context carried from the HTTP layer into services, so audit rows name who did what from where. */
export interface RequestMeta {
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
}

/** ip (trusted-proxy aware, via Express `req.ip`), user agent (capped) and request id, for audit rows. */
export function requestMeta(req: Pick<Request, 'ip' | 'headers'> & { id?: unknown }): RequestMeta {
  const ua = req.headers['user-agent'];
  return {
    ip: req.ip ?? null,
    userAgent: typeof ua === 'string' ? ua.slice(0, 512) : null,
    requestId: typeof req.id === 'string' ? req.id : null,
  };
}

export const Meta = createParamDecorator((_: unknown, ctx: ExecutionContext): RequestMeta =>
  requestMeta(ctx.switchToHttp().getRequest<Request & { id?: unknown }>()),
);

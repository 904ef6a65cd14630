import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';

const isUnder = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`);

/**
 * helmet with two Content-Security-Policies: the API's default one, and a relaxed one (inline scripts and
 * styles) for Swagger UI under `docsPath` only. `upgrade-insecure-requests` only when the public URL is
 * https: over plain http it makes browsers fetch Swagger UI's assets over https, which fails (a blank page).
 */
export function securityHeaders(publicUrl: string, docsPath: string): RequestHandler {
  const upgrade = publicUrl.startsWith('https:') ? [] : null;
  const api = helmet({
    contentSecurityPolicy: {
      directives: { 'style-src': ["'self'"], 'upgrade-insecure-requests': upgrade },
    },
  });
  const docs = helmet({
    contentSecurityPolicy: {
      directives: {
        'script-src': ["'self'", "'unsafe-inline'"],
        'style-src': ["'self'", "'unsafe-inline'"],
        'upgrade-insecure-requests': upgrade,
      },
    },
  });
  return (req, res, next) => (isUnder(req.path, docsPath) ? docs : api)(req, res, next);
}

/**
 * Every API response may carry a credential (tokens, the OAuth binding cookie, account data): no shared or
 * browser cache may keep one. Swagger UI's static assets under `docsPath` stay cacheable.
 */
export function noStore(docsPath: string): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!isUnder(req.path, docsPath)) res.setHeader('Cache-Control', 'no-store');
    next();
  };
}

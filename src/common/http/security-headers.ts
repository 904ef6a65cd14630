import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';

const isUnder = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`);

// Swagger UI needs inline scripts and styles; over plain http `upgrade-insecure-requests` would make browsers
// fetch its assets over https: a blank page.
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

// Any API response may carry a credential (tokens, the binding cookie, account data).
export function noStore(docsPath: string): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!isUnder(req.path, docsPath)) res.setHeader('Cache-Control', 'no-store');
    next();
  };
}

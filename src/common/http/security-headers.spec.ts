import type { Request, Response } from 'express';
import { noStore, securityHeaders } from './security-headers';

function run(mw: ReturnType<typeof securityHeaders>, path: string): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (k: string, v: string) => (headers[k.toLowerCase()] = String(v)),
    removeHeader: (k: string) => delete headers[k.toLowerCase()],
    getHeader: (k: string) => headers[k.toLowerCase()],
  };
  let called = false;
  mw(
    { path, method: 'GET', headers: {} } as unknown as Request,
    res as unknown as Response,
    () => (called = true),
  );
  expect(called).toBe(true);
  return headers;
}

describe('security headers', () => {
  it('keeps inline scripts and styles out of the API and allows them for Swagger UI only', () => {
    const mw = securityHeaders('http://localhost:3000', '/docs');
    const api = run(mw, '/api/v1/auth/me')['content-security-policy'];
    expect(api).toContain("script-src 'self';");
    expect(api).not.toContain('unsafe-inline');
    for (const path of ['/docs', '/docs/swagger-ui.css']) {
      expect(run(mw, path)['content-security-policy']).toContain(
        "script-src 'self' 'unsafe-inline'",
      );
    }
    expect(run(mw, '/docsearch')['content-security-policy']).not.toContain('unsafe-inline');
  });

  it('asks for upgrade-insecure-requests only behind an https public URL', () => {
    expect(
      run(securityHeaders('http://api.example.test', '/docs'), '/health')[
        'content-security-policy'
      ],
    ).not.toContain('upgrade-insecure-requests');
    const https = securityHeaders('https://api.example.test', '/docs');
    expect(run(https, '/health')['content-security-policy']).toContain('upgrade-insecure-requests');
    expect(run(https, '/docs')['content-security-policy']).toContain('upgrade-insecure-requests');
  });

  it('marks every response but the docs assets no-store', () => {
    expect(run(noStore('/docs'), '/api/v1/auth/login')['cache-control']).toBe('no-store');
    expect(run(noStore('/docs'), '/docs/swagger-ui.css')['cache-control']).toBeUndefined();
  });
});

import { RequestMethod, VERSION_NEUTRAL } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA, VERSION_METADATA } from '@nestjs/common/constants';
import { ModulesContainer, Reflector } from '@nestjs/core';
import {
  REQUIRE_VERIFIED_EMAIL,
  ROLES,
} from '../../../src/common/decorators/current-user.decorator';
import { IS_PUBLIC } from '../../../src/common/decorators/public.decorator';
import { useTestApp } from '../../harness';

/**
 * Deny by default, checked two ways: every route registered in the app is listed with its public/guarded
 * status and compared with the expected list (a new @Public() must be added here on purpose), and every
 * guarded route is actually called without a token and must answer 401.
 */
const EXPECTED_PUBLIC = [
  'GET /health',
  'GET /health/ready',
  'GET /sandbox/oauth/authorize',
  'POST /sandbox/oauth/token',
  'POST /sandbox/oauth/revoke',
  'GET /api/v1/providers/oauth/callback',
  'POST /api/v1/auth/register',
  'POST /api/v1/auth/verify-email',
  'POST /api/v1/auth/verify-email/resend',
  'POST /api/v1/auth/login',
  'POST /api/v1/auth/refresh',
  'POST /api/v1/auth/password-reset/request',
  'POST /api/v1/auth/password-reset/confirm',
].sort();

/** Guarded routes the auth module owns: they must stay guarded (others are covered by "not public"). */
const EXPECTED_GUARDED_AUTH = [
  'POST /api/v1/auth/logout',
  'POST /api/v1/auth/logout-all',
  'GET /api/v1/auth/me',
  'PATCH /api/v1/auth/me',
  'POST /api/v1/auth/change-password',
  'GET /api/v1/auth/sessions',
  'DELETE /api/v1/auth/sessions/:id',
].sort();

interface Route {
  key: string;
  method: string;
  path: string;
  isPublic: boolean;
  /** @Roles() or @RequireVerifiedEmail(): meaningless (and misleading) on a public route. */
  restricted: boolean;
}

const join = (...parts: string[]) =>
  `/${parts
    .map((p) => p.replace(/^\/|\/$/g, ''))
    .filter(Boolean)
    .join('/')}`;

function discover(modules: ModulesContainer, reflector: Reflector): Route[] {
  const routes: Route[] = [];
  for (const mod of modules.values()) {
    for (const wrapper of mod.controllers.values()) {
      const ctrl = wrapper.metatype as (new (...a: unknown[]) => unknown) | undefined;
      if (!ctrl) continue;
      const base: string = Reflect.getMetadata(PATH_METADATA, ctrl) ?? '';
      const version = Reflect.getMetadata(VERSION_METADATA, ctrl);
      for (const name of Object.getOwnPropertyNames(ctrl.prototype)) {
        const handler = ctrl.prototype[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const sub = Reflect.getMetadata(PATH_METADATA, handler);
        if (sub === undefined) continue;
        const method =
          RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
        const path = version === VERSION_NEUTRAL ? join(base, sub) : join('api', 'v1', base, sub);
        const isPublic = !!reflector.getAllAndOverride<boolean>(IS_PUBLIC, [handler, ctrl]);
        const restricted =
          !!reflector.getAllAndOverride<boolean>(REQUIRE_VERIFIED_EMAIL, [handler, ctrl]) ||
          !!reflector.getAllAndOverride<string[]>(ROLES, [handler, ctrl])?.length;
        routes.push({ key: `${method} ${path}`, method, path, isPublic, restricted });
      }
    }
  }
  return routes;
}

describe('deny by default: every registered route (e2e)', () => {
  const t = useTestApp();

  it('has exactly the expected public routes; the auth module’s private routes are guarded', () => {
    const routes = discover(t.get(ModulesContainer), t.get(Reflector));
    expect(routes.length).toBeGreaterThan(EXPECTED_PUBLIC.length);
    expect(
      routes
        .filter((r) => r.isPublic)
        .map((r) => r.key)
        .sort(),
    ).toEqual(EXPECTED_PUBLIC);
    const guardedAuth = routes
      .filter((r) => !r.isPublic && r.path.startsWith('/api/v1/auth/'))
      .map((r) => r.key)
      .sort();
    expect(guardedAuth).toEqual(EXPECTED_GUARDED_AUTH);
  });

  it('has no route that is both @Public() and restricted by @Roles() or @RequireVerifiedEmail()', () => {
    const routes = discover(t.get(ModulesContainer), t.get(Reflector));
    expect(routes.some((r) => r.restricted)).toBe(true); // the walk does see the restrictions
    expect(routes.filter((r) => r.isPublic && r.restricted).map((r) => r.key)).toEqual([]);
  });

  it('answers 401 problem+json on every guarded route called without a token', async () => {
    const guarded = discover(t.get(ModulesContainer), t.get(Reflector)).filter((r) => !r.isPublic);
    expect(guarded.length).toBeGreaterThanOrEqual(EXPECTED_GUARDED_AUTH.length);
    for (const r of guarded) {
      const url = r.path.replace(/:[A-Za-z]+/g, '00000000-0000-4000-8000-000000000000');
      const agent = t.http() as unknown as Record<
        string,
        (u: string) => Promise<{ status: number; body: { code?: string } }>
      >;
      const res = await agent[r.method.toLowerCase()](url);
      expect({ route: r.key, status: res.status, code: res.body.code }).toEqual({
        route: r.key,
        status: 401,
        code: 'unauthorized',
      });
    }
  });
});

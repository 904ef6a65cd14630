import { LoginService } from '../../../src/modules/auth/login.service';
import type { AuthenticatedUser } from '../../factories/auth.factory';
import type { TestAppContext } from '../../harness';

/**
 * Connects the sandbox brokerage through the REST API (create, authorize, the sandbox's authorize page, the JSON
 * callback): the same OAuth HTTP path as Schwab. The app must be listening on PUBLIC_URL.
 */
export async function connectSandbox(
  t: TestAppContext,
  auth: { Authorization: string },
  /** The sandbox's per-connection OAuth failure flag (`sandbox_fail`), e.g. `refresh_invalid_grant`. */
  fail?: string,
): Promise<string> {
  const created = await t
    .http()
    .post('/api/v1/providers')
    .set(auth)
    .send({ providerKey: 'sandbox' })
    .expect(201);
  const id = created.body.id as string;
  const started = await t
    .http()
    .post(`/api/v1/providers/${id}/authorization`)
    .set(auth)
    .expect(201);
  const url = new URL(started.body.authorizationUrl as string);
  if (fail) url.searchParams.set('sandbox_fail', fail);
  const page = await fetch(url, { redirect: 'manual' });
  const back = new URL(page.headers.get('location')!);
  await t
    .http()
    .post(`/api/v1/providers/${id}/authorization/callback`)
    .set(auth)
    .send({ code: back.searchParams.get('code'), state: back.searchParams.get('state') })
    .expect(200);
  return id;
}

/** A new bearer token for `user` at the (fake) clock's current time, once the first one has expired. */
export async function freshAuthHeader(
  t: TestAppContext,
  user: AuthenticatedUser,
): Promise<{ Authorization: string }> {
  const tokens = await t
    .get<LoginService>(LoginService)
    .login({ email: user.email, password: user.password }, { ip: '127.0.0.1', userAgent: 'test' });
  return { Authorization: `Bearer ${tokens.accessToken}` };
}

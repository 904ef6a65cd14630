import { createClient, createConfig } from '../../../clients/typescript/src/client';
import {
  createConnection,
  deleteConnection,
  getMe,
  listConnectionEvents,
  listConnections,
  listProviderTypes,
  login,
  logout,
  oauthCallback,
  refreshSession,
  refreshToken,
  register,
  renameConnection,
  startAuthorization,
  verifyEmail,
} from '../../../clients/typescript/src';
import type { ConnectionView, Problem } from '../../../clients/typescript/src';
import { MAILER } from '../../../src/modules/mail/mailer';
import { useTestApp } from '../../harness';
import { usePublicUrl } from '../../support/public-url';
import { supertestFetch } from '../../support/supertest-fetch';
import { CapturingMailer } from '../auth/capturing-mailer';

/**
 * The frontend's main journey, driven only through the generated client (clients/typescript). Type-checked by
 * `npm run typecheck` (strict) and linted against type assertions: if the spec and the client disagree with
 * what a frontend needs, this file stops compiling.
 */
const env: Record<string, string> = { FRONTEND_URL: 'https://app.dashtam.test' };
const publicUrl = usePublicUrl(env);

describe('frontend journey through the generated client (e2e)', () => {
  const mailer = new CapturingMailer();
  const t = useTestApp({ env, overrides: [{ provide: MAILER, useValue: mailer }] });
  // The sandbox adapter reaches its authorization server (this app) over HTTP at PUBLIC_URL.
  beforeAll(() => publicUrl.serve(t.app));

  const client = createClient(
    createConfig({ baseUrl: 'http://dashtam.test', fetch: supertestFetch(() => t.http()) }),
  );
  const problemCode = (error: Problem | undefined) => error?.code;

  it('register → verify → login → me → connect the sandbox → list → rename → refresh → events → disconnect → logout', async () => {
    const email = `journey-${Date.now()}@example.test`;
    const password = 'a long enough passphrase';

    const registered = await register({ client, body: { email, password, name: 'Ada' } });
    expect(registered.response?.status).toBe(201);
    expect(registered.data?.emailVerified).toBe(false);

    const verified = await verifyEmail({
      client,
      body: { token: mailer.tokenIn(mailer.lastTo(email)) },
    });
    expect(verified.response?.status).toBe(204);

    const wrong = await login({ client, body: { email, password: 'not the password' } });
    expect(wrong.response?.status).toBe(401);
    expect(problemCode(wrong.error)).toBe('invalid_credentials');

    const signedIn = await login({ client, body: { email, password }, throwOnError: true });
    expect(signedIn.data.tokenType).toBe('Bearer');
    // Refresh handling: rotate the pair once, as a client does when the access token is about to expire.
    const rotated = await refreshSession({
      client,
      body: { refreshToken: signedIn.data.refreshToken },
      throwOnError: true,
    });
    const auth = rotated.data.accessToken;

    const me = await getMe({ client, auth, throwOnError: true });
    expect(me.data).toMatchObject({ email, name: 'Ada', emailVerified: true });

    const types = await listProviderTypes({ client, auth, throwOnError: true });
    expect(types.data.map((p) => p.key)).toContain('sandbox');

    const created = await createConnection({
      client,
      auth,
      body: { providerKey: 'sandbox', alias: 'Play money' },
      throwOnError: true,
    });
    const id = created.data.id;
    expect(created.data.status).toBe('pending_auth');

    const started = await startAuthorization({ client, auth, path: { id }, throwOnError: true });
    const cookie = (started.response.headers.get('set-cookie') ?? '').split(';')[0];
    expect(cookie).toMatch(/^dashtam_oauth_binding=/);

    // The browser visits the brokerage (the sandbox approves at once) and comes back with code and state.
    const authorizationUrl = new URL(started.data.authorizationUrl);
    const brokerage = await t
      .http()
      .get(`${authorizationUrl.pathname}${authorizationUrl.search}`)
      .expect(302);
    const back = new URL(String(brokerage.headers.location));
    const code = back.searchParams.get('code') ?? '';
    const state = back.searchParams.get('state') ?? '';

    const callback = await oauthCallback({
      client,
      query: { code, state },
      headers: { Cookie: cookie },
    });
    expect(callback.response?.status).toBe(302);
    const landing = new URL(callback.response?.headers.get('location') ?? '');
    expect(landing.origin).toBe('https://app.dashtam.test');
    expect(Object.fromEntries(landing.searchParams)).toEqual({
      connection: id,
      result: 'connected',
    });

    const listed = await listConnections({
      client,
      auth,
      query: { limit: 10 },
      throwOnError: true,
    });
    const connection: ConnectionView | undefined = listed.data.items.find((c) => c.id === id);
    expect(connection?.status).toBe('active');
    expect(listed.data.nextCursor).toBeNull();

    const renamed = await renameConnection({
      client,
      auth,
      path: { id },
      body: { alias: 'Roth IRA' },
      throwOnError: true,
    });
    expect(renamed.data.alias).toBe('Roth IRA');
    const cleared = await renameConnection({
      client,
      auth,
      path: { id },
      body: { alias: null },
      throwOnError: true,
    });
    expect(cleared.data.alias).toBeNull();

    const refreshed = await refreshToken({ client, auth, path: { id }, throwOnError: true });
    expect(refreshed.data.scopes.length).toBeGreaterThan(0);

    const events = await listConnectionEvents({ client, auth, path: { id }, throwOnError: true });
    const types_ = events.data.items.map((e) => e.type);
    expect(types_).toEqual(
      expect.arrayContaining(['status_changed', 'authorization_started', 'token_stored']),
    );
    const activated = events.data.items.find(
      (e) => e.type === 'status_changed' && e.data.to === 'active',
    );
    expect(activated?.data.from).toBe('pending_auth');

    const removed = await deleteConnection({ client, auth, path: { id } });
    expect(removed.response?.status).toBe(204);
    const gone = await listConnections({ client, auth, throwOnError: true });
    expect(gone.data.items.some((c) => c.id === id)).toBe(false);

    const out = await logout({ client, auth });
    expect(out.response?.status).toBe(204);
    const after = await getMe({ client, auth });
    expect(after.response?.status).toBe(401);
    expect(after.response?.headers.get('www-authenticate')).toBe('Bearer');
    expect(problemCode(after.error)).toBe('unauthorized');
  });
});

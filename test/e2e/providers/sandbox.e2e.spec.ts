import {
  MAX_SANDBOX_CODES,
  SandboxOAuthController,
} from '../../../src/modules/brokerages/sandbox/oauth-server/sandbox-oauth.controller';
import { createHash } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { createAuthenticatedUser } from '../../factories/auth.factory';
import { useTestApp } from '../../harness';
import { usePublicUrl } from '../../support/public-url';

const env: Record<string, string> = {
  FRONTEND_URL: 'https://app.dashtam.test',
  SANDBOX_ACCESS_TOKEN_TTL_SECONDS: '600',
};
const publicUrl = usePublicUrl(env);
const t = useTestApp({ env });
let base = '';
beforeAll(() => {
  base = env.PUBLIC_URL;
  publicUrl.serve(t.app);
});

const basic = `Basic ${Buffer.from('dashtam-sandbox:sandbox-secret').toString('base64')}`;
const redirectUri = () => `${base}/api/v1/providers/oauth/callback`;

async function authorize(
  extra: Record<string, string> = {},
  verifier = oauth.generateRandomCodeVerifier(),
) {
  const q = {
    response_type: 'code',
    client_id: 'dashtam-sandbox',
    redirect_uri: redirectUri(),
    state: 'st',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...extra,
  };
  const res = await t.http().get('/sandbox/oauth/authorize').query(q);
  return {
    res,
    verifier,
    location: res.headers.location ? new URL(res.headers.location) : undefined,
  };
}

function token(form: Record<string, string>, auth = basic) {
  return t.http().post('/sandbox/oauth/token').set('Authorization', auth).type('form').send(form);
}

describe('sandbox authorization server', () => {
  it('authorize approves at once with a Schwab-like code; refuses unknown redirect URIs and non-S256 PKCE', async () => {
    const ok = await authorize();
    expect(ok.res.status).toBe(302);
    expect(ok.location!.searchParams.get('state')).toBe('st');
    expect(ok.location!.searchParams.get('code')).toMatch(/@$/);
    expect((await authorize({ redirect_uri: 'https://evil.test/cb' })).res.status).toBe(400);
    const plain = await authorize({ code_challenge_method: 'plain' });
    expect(plain.location!.searchParams.get('error')).toBe('invalid_request');
    const denied = await authorize({ sandbox_deny: '1' });
    expect(denied.location!.searchParams.get('error')).toBe('access_denied');
  });

  it('token: Basic client auth, PKCE S256, single-use codes, refresh keeps the refresh token', async () => {
    const a = await authorize();
    const code = a.location!.searchParams.get('code')!;
    const form = {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri(),
      code_verifier: a.verifier,
    };
    expect((await token(form, 'Basic eDp5')).status).toBe(401);
    // Malformed %-escapes in the Basic credentials: 401 invalid_client, not a 500.
    const malformed = await token(form, `Basic ${Buffer.from('%E0%A4%A:%').toString('base64')}`);
    expect(malformed.status).toBe(401);
    expect(malformed.body.error).toBe('invalid_client');
    const b = await authorize();
    const wrong = await token({ ...form, code: b.location!.searchParams.get('code')! }); // verifier of a, code of b
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe('invalid_grant');
    const issued = await token(form).expect(200);
    expect(issued.body).toMatchObject({ token_type: 'Bearer', expires_in: 600, scope: 'readonly' });
    expect((await token(form)).status).toBe(400); // code already used
    const refreshed = await token({
      grant_type: 'refresh_token',
      refresh_token: issued.body.refresh_token,
    }).expect(200);
    expect(refreshed.body.refresh_token).toBe(issued.body.refresh_token);
    expect(refreshed.body.access_token).not.toBe(issued.body.access_token);
    expect(
      (await token({ grant_type: 'refresh_token', refresh_token: `${issued.body.refresh_token}x` }))
        .status,
    ).toBe(400);
    expect((await token({ grant_type: 'password' })).body.error).toBe('unsupported_grant_type');
    await t
      .http()
      .post('/sandbox/oauth/revoke')
      .set('Authorization', basic)
      .type('form')
      .send({ token: 'x' })
      .expect(200);
  });

  it('keeps at most MAX_SANDBOX_CODES outstanding codes, dropping the oldest', async () => {
    const first = (await authorize()).location!.searchParams.get('code')!;
    const codes = t.get<{ codes: Map<string, unknown> }>(SandboxOAuthController).codes;
    for (let i = codes.size; i < MAX_SANDBOX_CODES + 5; i++)
      codes.set(`filler-${i}`, { expiresAt: Number.MAX_SAFE_INTEGER });
    await authorize();
    expect(codes.size).toBe(MAX_SANDBOX_CODES);
    expect(codes.has(first)).toBe(false);
  });

  it('failure modes from the authorize query flag', async () => {
    for (const [mode, status] of [
      ['refresh_500', 500],
      ['refresh_429', 429],
      ['refresh_invalid_grant', 400],
    ] as const) {
      const a = await authorize({ sandbox_fail: mode });
      const issued = await token({
        grant_type: 'authorization_code',
        code: a.location!.searchParams.get('code')!,
        redirect_uri: redirectUri(),
        code_verifier: a.verifier,
      }).expect(200);
      const r = await token({
        grant_type: 'refresh_token',
        refresh_token: issued.body.refresh_token,
      });
      expect(r.status).toBe(status);
      if (status === 429) expect(r.headers['retry-after']).toBe('60');
    }
    const x = await authorize({ sandbox_fail: 'exchange_invalid_grant' });
    expect(
      (
        await token({
          grant_type: 'authorization_code',
          code: x.location!.searchParams.get('code')!,
          redirect_uri: redirectUri(),
          code_verifier: x.verifier,
        })
      ).status,
    ).toBe(400);
  });

  it('a user connects the sandbox through the REST API alone (same HTTP path as Schwab)', async () => {
    const user = await createAuthenticatedUser(t, { verified: true });
    const h = { Authorization: user.authHeader.Authorization };
    const created = await fetch(`${base}/api/v1/providers`, {
      method: 'POST',
      headers: { ...h, 'content-type': 'application/json' },
      body: JSON.stringify({ providerKey: 'sandbox' }),
    });
    const { id } = (await created.json()) as { id: string };
    const started = await fetch(`${base}/api/v1/providers/${id}/authorization`, {
      method: 'POST',
      headers: h,
    });
    const cookie = started.headers.getSetCookie()[0].split(';')[0]; // what the browser keeps for the callback
    const start = (await started.json()) as { authorizationUrl: string };
    const toCallback = await fetch(start.authorizationUrl, { redirect: 'manual' });
    const toFrontend = await fetch(toCallback.headers.get('location')!, {
      redirect: 'manual',
      headers: { cookie },
    });
    expect(toFrontend.status).toBe(302);
    expect(Object.fromEntries(new URL(toFrontend.headers.get('location')!).searchParams)).toEqual({
      connection: id,
      result: 'connected',
    });
    const refreshed = await fetch(`${base}/api/v1/providers/${id}/token/refresh`, {
      method: 'POST',
      headers: h,
    });
    expect(refreshed.status).toBe(200);
    expect(((await refreshed.json()) as { refreshCount: number }).refreshCount).toBe(1);
  });
});

import { ModulesContainer } from '@nestjs/core';
import { SandboxOAuthController } from '../../../src/modules/brokerages/sandbox/oauth-server/sandbox-oauth.controller';
import { createAuthenticatedUser } from '../../factories/auth.factory';
import { useTestApp } from '../../harness';

/** With the sandbox off, its authorization server is not mapped at all: unknown paths, not a controller's 404. */
describe('sandbox disabled (e2e)', () => {
  const t = useTestApp({ env: { SANDBOX_ENABLED: 'false' } });

  it('maps no /sandbox/oauth route: each answers the plain route-not-found problem', async () => {
    for (const [method, path] of [
      ['get', '/sandbox/oauth/authorize?client_id=dashtam-sandbox'],
      ['post', '/sandbox/oauth/token'],
      ['post', '/sandbox/oauth/revoke'],
    ] as const) {
      const res = await t.http()[method](path).expect(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ code: 'not_found', detail: 'No such route.' });
    }
    const modules = t.get<ModulesContainer>(ModulesContainer);
    const controllers = [...modules.values()].flatMap((m) => [...m.controllers.keys()]);
    expect(controllers).not.toContain(SandboxOAuthController);
  });

  it('leaves the sandbox out of the catalog', async () => {
    const user = await createAuthenticatedUser(t);
    const res = await t.http().get('/api/v1/provider-types').set(user.authHeader).expect(200);
    expect(res.body.map((p: { key: string }) => p.key)).toEqual(['schwab']);
  });
});

describe('sandbox enabled (e2e)', () => {
  const t = useTestApp();

  it('maps its authorization server', async () => {
    const res = await t.http().get('/sandbox/oauth/authorize').expect(400);
    expect(res.body).toEqual({
      error: 'invalid_request',
      error_description: 'unknown client or redirect_uri',
    });
  });
});

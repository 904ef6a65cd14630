import { readFileSync } from 'node:fs';
import { buildOpenApiDocument } from '../../../src/app.setup';
import { MAILER } from '../../../src/modules/mail/mailer';
import { CapturingMailer } from '../auth/capturing-mailer';
import { createAuthenticatedUser } from '../../factories/auth.factory';
import { useTestApp } from '../../harness';
import { ContractChecker, OPENAPI_FILE } from '../../support/contract';

type Doc = any;

const sortKeys = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(sortKeys)
    : v !== null && typeof v === 'object'
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
        )
      : v;

describe('openapi.json says everything a client meets (e2e)', () => {
  const t = useTestApp({ overrides: [{ provide: MAILER, useValue: new CapturingMailer() }] });
  const doc: Doc = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8'));
  const ops = Object.entries(doc.paths).flatMap(([path, item]: [string, any]) =>
    Object.entries(item).map(([method, op]: [string, any]) => ({ method, path, op })),
  );
  const byId = (id: string) => ops.find((o) => o.op.operationId === id)!.op;
  const schema = (name: string) => doc.components.schemas[name];

  it('is what the code generates (run `npm run openapi` after changing a route or DTO)', () => {
    expect(sortKeys(JSON.parse(JSON.stringify(buildOpenApiDocument(t.app))))).toEqual(doc);
  });

  it('names every operation readably and uniquely, with a summary', () => {
    const ids = ops.map((o) => o.op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { op } of ops) {
      expect(op.operationId).toMatch(/^[a-z][A-Za-z]+$/);
      expect(op.summary).toEqual(expect.any(String));
    }
    expect(ids).toEqual(
      expect.arrayContaining([
        'login',
        'register',
        'listConnections',
        'renameConnection',
        'oauthCallback',
      ]),
    );
  });

  it('documents the shared refusals on every operation, 401 with WWW-Authenticate on authenticated ones', () => {
    for (const { op } of ops) {
      for (const status of ['400', '413', '415'])
        expect(op.responses[status].content['application/problem+json']).toBeDefined();
      if (op.security) expect(op.responses['401'].headers['WWW-Authenticate']).toBeDefined();
      for (const [status, r] of Object.entries<any>(op.responses)) {
        if (Number(status) >= 400)
          expect(r.content['application/problem+json'].schema).toEqual({
            $ref: '#/components/schemas/Problem',
          });
        if (status === '429') expect(r.headers['Retry-After']).toBeDefined();
        if (status === '503') expect(r.headers['Retry-After']).toBeDefined();
      }
    }
    expect(Object.keys(byId('refreshToken').responses)).toEqual(
      expect.arrayContaining(['404', '409', '503']),
    );
    expect(Object.keys(byId('login').responses)).toEqual(
      expect.arrayContaining(['401', '429', '503']),
    );
  });

  it('has one Problem schema with the RFC 9457 members, code, requestId and errors[]', () => {
    const p = schema('Problem');
    expect(Object.keys(p.properties)).toEqual(
      expect.arrayContaining([
        'type',
        'title',
        'status',
        'detail',
        'instance',
        'code',
        'requestId',
        'errors',
      ]),
    );
    expect(p.properties.code.allOf[0].$ref).toBe('#/components/schemas/ErrorCode');
    expect(schema('ErrorCode').enum).toEqual(
      expect.arrayContaining([
        'validation_failed',
        'unauthorized',
        'too_many_requests',
        'not_connected',
      ]),
    );
    expect(p.properties.errors.items.$ref).toBe('#/components/schemas/FieldError');
  });

  it('makes the OAuth callback public, with its query parameters and its redirect', () => {
    const cb = byId('oauthCallback');
    expect(cb.security).toBeUndefined();
    expect(cb.parameters.map((p: any) => p.name).sort()).toEqual(['code', 'error', 'iss', 'state']);
    expect(cb.responses['302'].headers.Location.required).toBe(true);
    expect(cb.responses['302'].description).toContain('state_mismatch');
    expect(cb.responses['401']).toBeUndefined();
    for (const id of ['login', 'register', 'getLiveness', 'getReadiness'])
      expect(byId(id).security).toBeUndefined();
    for (const id of ['getMe', 'listConnections', 'startAuthorization'])
      expect(byId(id).security).toEqual([{ bearer: [] }]);
    expect(byId('startAuthorization').responses['201'].headers['Set-Cookie'].description).toContain(
      'dashtam_oauth_binding',
    );
  });

  it('types are true to the code', () => {
    expect(schema('UpdateConnectionDto').properties.alias).toMatchObject({
      type: 'string',
      nullable: true,
    });
    expect(schema('TokenPairResponse').properties.tokenType.enum).toEqual(['Bearer']);
    expect(schema('TokenPairResponse').properties.expiresIn.type).toBe('integer');
    expect(schema('ConnectionView').properties.status.allOf[0].$ref).toBe(
      '#/components/schemas/ConnectionStatus',
    );
    expect(schema('ConnectionView').properties.providerKey.enum).toEqual(['schwab', 'sandbox']);
    expect(schema('ConnectionEventView').properties.type.allOf[0].$ref).toBe(
      '#/components/schemas/ConnectionEventType',
    );
    expect(schema('ConnectionEventView').properties.data.$ref).toBe(
      '#/components/schemas/ConnectionEventData',
    );
    expect(schema('RegisterDto').properties.email.format).toBe('email');
    expect(schema('MeResponse').properties.id.format).toBe('uuid');
    expect(byId('getLiveness').responses['200'].content['application/json'].schema.$ref).toBe(
      '#/components/schemas/LivenessView',
    );
    expect(byId('getReadiness').responses['200'].content['application/json'].schema.$ref).toBe(
      '#/components/schemas/ReadinessView',
    );
    const param = (id: string, name: string) =>
      byId(id).parameters.find((p: any) => p.name === name).schema;
    expect(param('getConnection', 'id')).toEqual({ type: 'string', format: 'uuid' });
    expect(param('listConnections', 'limit')).toMatchObject({
      type: 'integer',
      default: 20,
      maximum: 100,
    });
    expect(param('listConnectionEvents', 'limit')).toMatchObject({ type: 'integer', default: 50 });
  });

  it('nullable request fields are the ones the server accepts null for', async () => {
    const nullable = Object.entries<any>(doc.components.schemas)
      .filter(([name]) => name.endsWith('Dto'))
      .flatMap(([name, sch]) =>
        Object.entries<any>(sch.properties ?? {})
          .filter(([, p]) => p.nullable)
          .map(([p]) => `${name}.${p}`),
      );
    expect(nullable.sort()).toEqual([
      'CreateConnectionDto.alias',
      'RegisterDto.name',
      'UpdateConnectionDto.alias',
    ]);
    const user = await createAuthenticatedUser(t);
    const created = await t
      .http()
      .post('/api/v1/providers')
      .set(user.authHeader)
      .send({ providerKey: 'sandbox', alias: null })
      .expect(201);
    expect(created.body.alias).toBeNull();
    await t
      .http()
      .patch(`/api/v1/providers/${created.body.id}`)
      .set(user.authHeader)
      .send({ alias: null })
      .expect(200);
    const registered = await t
      .http()
      .post('/api/v1/auth/register')
      .send({
        email: `null-${Date.now()}@example.test`,
        password: 'long enough password',
        name: null,
      });
    expect(registered.status).toBe(201);
    expect(registered.body.name).toBeNull();
  });

  it('the contract checker refuses undocumented routes, statuses, media types and bodies', () => {
    const c = new ContractChecker(doc);
    const json = { 'content-type': 'application/json; charset=utf-8' };
    const problem = { 'content-type': 'application/problem+json' };
    const okBody = { status: 'ok' };
    expect(
      c.check('GET', '/health', { status: 200, headers: json, body: okBody, text: '{}' }),
    ).toEqual([]);
    expect(
      c.check('GET', '/health', {
        status: 200,
        headers: json,
        body: { status: 'up' },
        text: '{}',
      })[0],
    ).toMatch(/allowed values/);
    expect(
      c.check('GET', '/health', { status: 201, headers: json, body: okBody, text: '{}' })[0],
    ).toMatch(/not documented for getLiveness/);
    expect(
      c.check('GET', '/health', { status: 200, headers: problem, body: okBody, text: '{}' })[0],
    ).toMatch(/content type/);
    expect(
      c.check('GET', '/api/v1/brand-new', { status: 200, headers: json, body: {}, text: '{}' })[0],
    ).toMatch(/no operation/);
    const notFound = {
      type: 'https://dashtam.dev/problems/not_found',
      title: 'Not Found',
      status: 404,
      instance: '/x',
      code: 'not_found',
      requestId: 'r',
    };
    expect(
      c.check('GET', '/api/v1/brand-new', {
        status: 404,
        headers: problem,
        body: notFound,
        text: '{}',
      }),
    ).toEqual([]);
    expect(
      c.check('GET', '/api/v1/brand-new', {
        status: 404,
        headers: problem,
        body: { ...notFound, code: 'made_up' },
        text: '{}',
      })[0],
    ).toMatch(/code/);
    expect(
      c.check('GET', '/api/v1/providers/oauth/callback', {
        status: 302,
        headers: {},
        body: {},
        text: '',
      })[0],
    ).toMatch(/required header Location missing/);
    expect(
      c.check('POST', '/api/v1/auth/logout', {
        status: 204,
        headers: json,
        body: {},
        text: 'x',
      })[0],
    ).toMatch(/without a body/);
  });
});

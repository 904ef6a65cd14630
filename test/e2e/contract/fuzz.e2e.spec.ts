import fc from 'fast-check';
import { MAILER } from '../../../src/modules/mail/mailer';
import { AuthenticatedUser, createAuthenticatedUser } from '../../factories/auth.factory';
import { useTestApp } from '../../harness';
import { contract } from '../../support/contract';
import { CapturingMailer } from '../auth/capturing-mailer';

/**
 * Property: for every operation in openapi.json, malformed bodies, parameters, queries, content types and
 * credentials never produce a 5xx, every refusal is problem+json, every answer keeps the contract (t.http()
 * checks it), and no table gains or loses a row. Bounded runs keep it a few seconds; FUZZ_RUNS and FUZZ_SEED
 * widen or replay it (fast-check prints the seed and the shrunk counterexample of a failure).
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 25);
const SEED = Number(process.env.FUZZ_SEED ?? 20261201);

const nested = (open: string, close: string) =>
  fc.integer({ min: 17, max: 400 }).map((n) => `${open.repeat(n)}1${close.repeat(n)}`);
const jsonText = (body: unknown) => ({ type: 'application/json', text: JSON.stringify(body) });
const key = fc.oneof(
  fc.constantFrom(
    'email',
    'password',
    'token',
    'alias',
    'name',
    'providerKey',
    'code',
    'state',
    '__proto__',
    'constructor',
  ),
  fc.string({ maxLength: 12 }),
);

/** Bodies no operation accepts: each is refused at the edge or by validation. */
const defective = fc.oneof(
  fc.string({ maxLength: 80 }).map((text) => ({ type: 'application/json', text: `{${text}` })),
  nested('{"a":', '}').map((text) => ({ type: 'application/json', text })),
  nested('[', ']').map((text) => ({ type: 'application/json', text: `{"token":${text}}` })),
  key.map((k) => ({ type: 'application/json', text: `{${JSON.stringify(k)}:"x\\ud800y"}` })),
  fc
    .constantFrom('__proto__', 'constructor', 'prototype')
    .map((k) => ({ type: 'application/json', text: `{"${k}":{"isAdmin":true}}` })),
  fc
    .integer({ min: 1001, max: 1100 })
    .map((n) => jsonText(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])))),
  fc.record({
    type: fc.constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/xml',
      'application/json-patch+json',
      'application/json; charset=latin1',
    ),
    // Never empty: an empty body is no body, and a bodyless write may be a valid request.
    text: fc.string({ minLength: 1, maxLength: 80 }),
  }),
);
/** Well-formed JSON of the wrong shape: fine to send only where a body is expected (it cannot be a valid one). */
const misshapen = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map(jsonText),
  fc.dictionary(key, fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 4 }).map(jsonText),
);
/** Any JSON value a property could be sent, tricky strings included (the validators see these). */
const anyValue = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    'a@b',
    'ada@example.com',
    `${'a'.repeat(300)}@example.com`,
    'x'.repeat(600),
    '\u0000',
    '%E0%A4%A',
    'sandbox',
    'schwab',
  ),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 2 }),
);
/** One defect that makes any body invalid whatever the other fields hold. */
const defect = (props: string[]) =>
  fc.oneof(
    {
      weight: 3,
      arbitrary: fc
        .subarray(props, { minLength: 1 })
        .map((spoilt) => (body: Record<string, unknown>) => ({
          ...body,
          ...Object.fromEntries(
            spoilt.map((p) => [
              p,
              `${typeof body[p] === 'string' ? body[p] : 'a@example.com'}\ud800`,
            ]),
          ),
        })),
    },
    fc.constantFrom(...props).map((p) => (body: Record<string, unknown>) => ({
      ...body,
      [p]: JSON.parse(`${'{"a":'.repeat(1500)}1${'}'.repeat(1500)}`),
    })),
    fc
      .constantFrom('isAdmin', 'roles', 'userId', '__proto__', 'constructor')
      .map((k) => (body: Record<string, unknown>) => {
        const out = { ...body };
        Object.defineProperty(out, k, { value: true, enumerable: true });
        return out;
      }),
  );
/** The documented fields of a request body, filled with arbitrary values, plus one defect. */
const nearValid = (props: string[]) =>
  fc
    .tuple(
      fc.record(Object.fromEntries(props.map((p) => [p, anyValue])), { requiredKeys: [] }),
      defect(props),
    )
    .map(([body, spoil]) => jsonText(spoil(body)));

const idSegment = (real: () => string) =>
  fc.oneof(
    fc.string({ maxLength: 40 }).map(encodeURIComponent),
    fc.uuid(),
    fc.constantFrom('%', '%E0%A4%A', '%ED%A0%80', '..', '%00', 'null', '-1', '1e9'),
    fc.constant(null).map(() => real()),
  );
const queryValue = fc.oneof(
  fc.string({ maxLength: 30 }).map(encodeURIComponent),
  fc.constantFrom('%ED%A0%80', '%', '-1', '0', '101', '1.5', 'abc', '%00'),
);
const query = fc.array(
  fc.tuple(
    fc.oneof(
      fc.constantFrom('limit', 'cursor', '__proto__', 'constructor[x]'),
      fc.stringMatching(/^[a-z]{1,8}$/),
    ),
    queryValue,
  ),
  {
    maxLength: 3,
  },
);

describe('fuzzing every operation with malformed input (e2e)', () => {
  const t = useTestApp({ overrides: [{ provide: MAILER, useValue: new CapturingMailer() }] });
  let tables: string[] = [];
  let user: AuthenticatedUser;
  let realId = '';
  beforeAll(async () => {
    const rows: Array<{ table_name: string }> = await t.dataSource.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
    );
    tables = rows.map((r) => r.table_name);
    // A shared fixture (the file's transaction): every test starts from it, whatever the previous one did.
    user = await createAuthenticatedUser(t);
    const created = await t
      .http()
      .post('/api/v1/providers')
      .set(user.authHeader)
      .send({ providerKey: 'sandbox' })
      .expect(201);
    realId = String(created.body.id);
  });
  const counts = async (): Promise<Record<string, number>> => {
    const sql = tables
      .map((n) => `SELECT '${n}' AS t, count(*)::int AS n FROM "${n}"`)
      .join(' UNION ALL ');
    const rows: Array<{ t: string; n: number }> = await t.dataSource.query(sql);
    return Object.fromEntries(rows.map((r) => [r.t, r.n]));
  };

  const operations = contract().operations();
  const schemas = contract().schemas();
  const requestProperties = (op: { requestBody?: unknown }): string[] => {
    const ref = (
      op.requestBody as { content?: Record<string, { schema?: { $ref?: string } }> } | undefined
    )?.content?.['application/json']?.schema?.$ref;
    const props = ref
      ? Object.keys((schemas[ref.split('/').pop()!] as { properties?: object }).properties ?? {})
      : [];
    return props.length ? props : ['x'];
  };

  it('covers every operation of the document', () => {
    expect(operations.length).toBeGreaterThanOrEqual(28);
  });

  it.each(operations.map((o) => [`${o.method} ${o.path}`, o] as const))(
    '%s',
    async (_name, { method, path, op }) => {
      const takesBody = 'requestBody' in op;
      const credentials = fc.oneof(
        { weight: 3, arbitrary: fc.constant(user.authHeader.Authorization) },
        fc.constant(undefined),
        fc.stringMatching(/^[A-Za-z0-9._~+/=-]{0,60}$/).map((s) => `Bearer ${s}`),
      );
      const near = nearValid(requestProperties(op));
      const bodies = takesBody
        ? fc.oneof(defective, misshapen, { weight: 4, arbitrary: near })
        : defective;
      const body = fc.option(bodies, { nil: undefined, freq: takesBody ? 6 : 3 });
      // What the previous request left (nothing runs between two requests): one count per request, not two.
      let before = await counts();

      await fc.assert(
        fc.asyncProperty(
          fc.record({ id: idSegment(() => realId), query, body, auth: credentials }),
          async (input) => {
            const q = input.query.map(([k, v]) => `${k}=${v}`).join('&');
            const url = `${path.replace('{id}', input.id)}${q ? `?${q}` : ''}`;
            // Without a body, a write is malformed only through its id (the real one would be a valid request).
            if (
              input.body === undefined &&
              method !== 'GET' &&
              (!path.includes('{id}') || input.id === realId)
            )
              return;
            let req = t.http()[method.toLowerCase() as 'get'](url);
            if (input.auth) req = req.set('Authorization', input.auth);
            if (input.body) req = req.set('Content-Type', input.body.type).send(input.body.text);
            const res = await req;
            const [was, now] = [before, await counts()];
            before = now;
            if (process.env.FUZZ_LOG)
              process.stdout.write(
                `FZ ${method} ${path} ${res.status} ${res.body?.code} ${input.body?.text.slice(0, 60)}\n`,
              );
            expect(res.status).toBeLessThan(500);
            if (res.status >= 400)
              expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
            expect(now).toEqual(was);
          },
        ),
        { numRuns: RUNS, seed: SEED, endOnFailure: process.env.FUZZ_SHRINK !== '1' },
      );
    },
  );
});

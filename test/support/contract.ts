import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type request from 'supertest';
import type { Response, Test } from 'supertest';

type Agent = ReturnType<typeof request>;

/** Every response `t.http()` receives is checked against openapi.json, so the document cannot drift from the code. */
type Schema = Record<string, unknown>;
interface MediaType {
  schema?: Schema;
}
interface ResponseSpec {
  content?: Record<string, MediaType>;
  headers?: Record<string, { required?: boolean }>;
}
interface Operation {
  operationId: string;
  requestBody?: unknown;
  responses: Record<string, ResponseSpec>;
}
interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: Record<string, unknown>;
}

export const OPENAPI_FILE = join(__dirname, '..', '..', 'openapi.json');

const UNDOCUMENTED = [/^\/docs(\/|$)/, /^\/sandbox\//];

const EDGE_OR_NOT_FOUND = [400, 404, 413, 415];

interface Route {
  method: string;
  pattern: RegExp;
  params: number;
  op: Operation;
}

export class ContractChecker {
  private readonly ajv: Ajv;
  private readonly routes: Route[];
  private readonly problem: ValidateFunction;
  private readonly compiled = new Map<Schema, ValidateFunction>();

  constructor(private readonly doc: OpenApiDocument) {
    // strict: false tolerates OpenAPI-only keywords such as `example`.
    this.ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(this.ajv);
    this.routes = Object.entries(doc.paths)
      .flatMap(([path, item]) =>
        Object.entries(item).map(([method, op]) => ({
          method: method.toUpperCase(),
          pattern: new RegExp(
            `^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`,
          ),
          params: (path.match(/\{/g) ?? []).length,
          op,
        })),
      )
      // A literal segment wins over a parameter (`/providers/oauth/callback` before `/providers/{id}`).
      .sort((a, b) => a.params - b.params);
    this.problem = this.validatorFor({ $ref: '#/components/schemas/Problem' });
  }

  operations(): Array<{ method: string; path: string; op: Operation }> {
    return Object.entries(this.doc.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
    );
  }

  schemas(): Record<string, unknown> {
    return (this.doc.components.schemas ?? {}) as Record<string, unknown>;
  }

  find(method: string, path: string): Operation | undefined {
    const m = method === 'HEAD' ? 'GET' : method;
    return this.routes.find((r) => r.method === m && r.pattern.test(path))?.op;
  }

  check(
    method: string,
    url: string,
    res: Pick<Response, 'status' | 'headers' | 'body' | 'text'>,
    exempt: string[] = [],
  ): string[] {
    // Express routes are not strict: `/providers/` is `/providers`.
    const path = new URL(url, 'http://x').pathname.replace(/(.)\/$/, '$1');
    // CORS preflights are answered by the cors middleware for every route, outside any operation.
    if (
      method === 'OPTIONS' ||
      UNDOCUMENTED.some((re) => re.test(path)) ||
      exempt.some((p) => path.startsWith(p))
    )
      return [];
    const what = `${method} ${path} → ${res.status}`;
    const type = String(res.headers['content-type'] ?? '')
      .split(';')[0]
      .trim();
    const op = this.find(method, path);
    if (!op) {
      // Unknown routes may be asked for: 404, or the edge's refusal of a bad body or query (it runs before
      // routing). Either way a problem.
      if (!EDGE_OR_NOT_FOUND.includes(res.status))
        return [`${what}: no operation in openapi.json for this route`];
      return this.body(what, this.problem, type, 'application/problem+json', res);
    }
    const spec = op.responses[String(res.status)];
    if (!spec) return [`${what}: status ${res.status} is not documented for ${op.operationId}`];
    const errors: string[] = [];
    for (const [name, header] of Object.entries(spec.headers ?? {})) {
      if (header.required && res.headers[name.toLowerCase()] === undefined)
        errors.push(`${what}: required header ${name} missing`);
    }
    const media = Object.keys(spec.content ?? {});
    if (media.length === 0) {
      // Express writes a short text body on redirects ("Found. Redirecting to …"); clients never read it.
      if (res.text && (res.status < 300 || res.status >= 400))
        errors.push(`${what}: documented without a body, got ${type || 'a body'}`);
      return errors;
    }
    if (method === 'HEAD') return errors;
    if (!media.includes(type))
      return [
        ...errors,
        `${what}: content type ${type || '(none)'}, documented ${media.join(', ')}`,
      ];
    const schema = spec.content![type].schema;
    return schema
      ? [...errors, ...this.body(what, this.validatorFor(schema), type, type, res)]
      : errors;
  }

  private body(
    what: string,
    validate: ValidateFunction,
    type: string,
    expected: string,
    res: Pick<Response, 'body'>,
  ): string[] {
    if (type !== expected)
      return [`${what}: content type ${type || '(none)'}, documented ${expected}`];
    if (validate(res.body)) return [];
    return (validate.errors ?? []).map(
      (e) => `${what}: body${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`,
    );
  }

  private validatorFor(schema: Schema): ValidateFunction {
    let v = this.compiled.get(schema);
    if (!v) {
      // The components travel with each schema so that its `#/components/...` references resolve.
      v = this.ajv.compile({ ...schema, components: this.doc.components });
      this.compiled.set(schema, v);
    }
    return v;
  }
}

// Kept on the worker's realm (test/harness/shared-realm-environment.ts) while openapi.json is unchanged: its
// compiled validators cost ~20 ms of every e2e file otherwise.
const CHECKER = Symbol.for('dashtam.contract-checker');
let checker: ContractChecker | undefined;
export const contract = (): ContractChecker => (checker ??= fromRealm());

function fromRealm(): ContractChecker {
  const realm = globalThis as { [CHECKER]?: { text: string; checker: ContractChecker } };
  const text = readFileSync(OPENAPI_FILE, 'utf8');
  if (realm[CHECKER]?.text !== text) {
    realm[CHECKER] = { text, checker: new ContractChecker(JSON.parse(text) as OpenApiDocument) };
  }
  return realm[CHECKER].checker;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'] as const;

/** Checks after the spec's own `.expect()`s, so a wrong status is reported as the spec wrote it. */
export function withContractChecks(agent: Agent, exempt: string[] = []): Agent {
  return new Proxy(agent, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (
        typeof prop !== 'string' ||
        !(METHODS as readonly string[]).includes(prop) ||
        typeof value !== 'function'
      )
        return value;
      return (url: string, ...rest: unknown[]) => {
        const test = (value as (url: string, ...r: unknown[]) => Test).call(target, url, ...rest);
        const end = test.end.bind(test);
        test.end = (callback?: (err: unknown, res: Response) => void) =>
          end((err: unknown, res: Response) => {
            if (!err && res) {
              const violations = contract().check(prop.toUpperCase(), url, res, exempt);
              if (violations.length)
                err = new Error(
                  `API contract violated (openapi.json):\n  ${violations.join('\n  ')}`,
                );
            }
            callback?.(err, res);
          });
        return test;
      };
    },
  });
}

export function probeRoutePrefixes(modules: unknown[] = []): string[] {
  return modules.flatMap((m) => {
    const controllers = (Reflect.getMetadata('controllers', m as object) ?? []) as object[];
    return controllers.map(
      (c) => `/api/v1/${String(Reflect.getMetadata('path', c) ?? '').replace(/^\//, '')}`,
    );
  });
}

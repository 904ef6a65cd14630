import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAILER } from '../../../src/modules/mail/mailer';
import { useTestApp } from '../../harness';
import { usePublicUrl } from '../../support/public-url';
import { CapturingMailer } from '../auth/capturing-mailer';

/** api.http, the hand-run request collection, replayed top to bottom against the app: it must stay runnable. */
interface HttpRequest {
  title: string;
  name?: string;
  method: string;
  url: string;
  headers: Array<[string, string]>;
  body?: string;
}

function parse(text: string): {
  vars: Array<[string, string]>;
  requests: Array<HttpRequest | [string, string]>;
} {
  const vars: Array<[string, string]> = [];
  const requests: Array<HttpRequest | [string, string]> = [];
  for (const block of text.split(/^###/m)) {
    const lines = block.split('\n');
    const title = lines.shift()?.trim() ?? '';
    let req: HttpRequest | undefined;
    let name: string | undefined;
    let inBody = false;
    const body: string[] = [];
    for (const line of lines) {
      const variable = /^@(\w+) = (.*)$/.exec(line);
      if (!req && variable) (requests.length ? requests : vars).push([variable[1], variable[2]]);
      else if (/^# @name (\w+)/.test(line)) name = /^# @name (\w+)/.exec(line)![1];
      else if (line.startsWith('#') && !inBody) continue;
      else if (!req && /^(GET|POST|PATCH|PUT|DELETE) /.test(line)) {
        const [method, url] = line.split(' ');
        req = { title, name, method, url, headers: [] };
      } else if (req && !inBody && line.trim() === '') inBody = true;
      else if (req && !inBody) {
        const i = line.indexOf(':');
        req.headers.push([line.slice(0, i).trim(), line.slice(i + 1).trim()]);
      } else if (req) body.push(line);
    }
    if (req) requests.push({ ...req, body: body.join('\n').trim() || undefined });
  }
  return { vars, requests };
}

const env: Record<string, string> = {};
const publicUrl = usePublicUrl(env);

describe('api.http request collection (e2e)', () => {
  const mailer = new CapturingMailer();
  const t = useTestApp({ env, overrides: [{ provide: MAILER, useValue: mailer }] });
  // The sandbox adapter exchanges the code with its authorization server (this app) at PUBLIC_URL.
  beforeAll(() => publicUrl.serve(t.app));

  it('runs from register to logout with only the deliberate mistake refused', async () => {
    const { vars, requests } = parse(
      readFileSync(join(__dirname, '..', '..', '..', 'api.http'), 'utf8'),
    );
    const values = new Map<string, string>();
    const responses = new Map<string, { body: unknown; headers: Record<string, unknown> }>();
    const cookies = new Map<string, string>();
    const resolve = (s: string): string =>
      s.replace(/\{\{([\w.]+)\}\}/g, (_, ref: string) => {
        const [head, ...path] = ref.split('.');
        if (values.has(head)) return resolve(values.get(head)!);
        // {{name.response.body.a.b}} or {{name.response.headers.Location}}
        const [, part, ...rest] = path;
        const res = responses.get(head);
        let v: unknown = part === 'headers' ? res?.headers[rest[0].toLowerCase()] : res?.body;
        if (part !== 'headers')
          for (const p of rest) v = (v as Record<string, unknown> | undefined)?.[p];
        if (typeof v !== 'string') throw new Error(`api.http: {{${ref}}} does not resolve`);
        return v;
      });
    for (const [k, v] of vars) values.set(k, v);
    const statuses: Array<[string, number]> = [];
    for (const r of requests) {
      if (Array.isArray(r)) {
        values.set(r[0], r[1]);
        continue;
      }
      const url = new URL(resolve(r.url));
      let req = t.http()[r.method.toLowerCase() as 'get'](`${url.pathname}${url.search}`);
      for (const [k, v] of r.headers) req = req.set(k, resolve(v));
      // The REST Client keeps cookies between requests, as a browser would.
      if (cookies.size)
        req = req.set('Cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '));
      let body = r.body && resolve(r.body);
      if (body?.includes('PASTE-THE-TOKEN'))
        body = body.replace('PASTE-THE-TOKEN', mailer.tokenIn(mailer.lastTo(resolve('{{email}}'))));
      const res = await (body === undefined ? req : req.send(body));
      if (r.name) responses.set(r.name, { body: res.body, headers: res.headers });
      for (const c of (res.headers['set-cookie'] as unknown as string[] | undefined) ?? []) {
        const [pair] = c.split(';');
        cookies.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
      }
      statuses.push([r.title, res.status]);
    }
    expect(statuses.find(([title]) => title.startsWith('Back at the API'))?.[1]).toBe(302);
    const refused = statuses.filter(([, s]) => s >= 400);
    expect(refused).toEqual([
      ['A client mistake: every error is problem+json with a stable code (docs/errors.md)', 415],
    ]);
    expect(statuses.length).toBeGreaterThanOrEqual(18);
  });
});

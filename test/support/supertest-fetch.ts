import type request from 'supertest';

type Agent = ReturnType<typeof request>;
const METHODS = {
  GET: 'get',
  POST: 'post',
  PUT: 'put',
  PATCH: 'patch',
  DELETE: 'delete',
  HEAD: 'head',
  OPTIONS: 'options',
} as const;

/**
 * A WHATWG `fetch` that sends each request through a supertest agent (no port, the harness's transaction, the
 * contract checks of `t.http()`), for clients such as the generated one that take a `fetch` option.
 * Redirects are never followed: a browser's next hop is the caller's business.
 */
export function supertestFetch(agent: () => Agent): typeof fetch {
  return async (input, init) => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    const method = METHODS[req.method.toUpperCase() as keyof typeof METHODS];
    if (!method) throw new Error(`supertestFetch: unsupported method ${req.method}`);
    let test = agent()[method](`${url.pathname}${url.search}`);
    req.headers.forEach((value, name) => {
      test = test.set(name, value);
    });
    const body = req.body ? await req.text() : undefined;
    const res = await (body === undefined ? test : test.send(body));
    const headers = new Headers();
    for (const [name, value] of Object.entries(res.headers as Record<string, string | string[]>)) {
      for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
    }
    const nullBody = [101, 103, 204, 205, 304].includes(res.status) || method === 'head';
    return new Response(nullBody ? null : res.text, { status: res.status, headers });
  };
}

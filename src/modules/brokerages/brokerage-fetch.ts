import type { CustomFetchOptions } from 'oauth4webapi';
import type { Agent, request } from 'undici';

// One keep-alive pool for every brokerage request of the process, made at the first one: undici is about a
// hundred modules that a process (or test file) making no brokerage request need not load.
let client: Promise<{ agent: Agent; request: typeof request }> | undefined;
const undici = () =>
  (client ??= import('undici').then((u) => ({ agent: new u.Agent(), request: u.request })));

/**
 * oauth4webapi's `customFetch`: undici's request() instead of the global fetch, which spends about three times the
 * CPU per call on WHATWG streams (bench/refresh.ts). Failures surface as fetch's would (the abort reason, or
 * TypeError "fetch failed"), so error classification is the same either way.
 */
export async function brokerageFetch(
  url: string,
  init: CustomFetchOptions<string, unknown>,
): Promise<Response> {
  try {
    const { agent, request } = await undici();
    const res = await request(url, {
      method: init.method as 'GET' | 'POST',
      headers: init.headers,
      body:
        init.body instanceof URLSearchParams || typeof init.body === 'string'
          ? init.body.toString()
          : undefined,
      signal: init.signal,
      dispatcher: agent,
    });
    const body = await res.body.arrayBuffer();
    const headers = new Headers();
    for (const [name, value] of Object.entries(res.headers))
      for (const one of ([] as string[]).concat(value ?? [])) headers.append(name, one);
    const empty = res.statusCode === 204 || res.statusCode === 205 || res.statusCode === 304;
    return new Response(empty ? null : body, { status: res.statusCode, headers });
  } catch (err) {
    if (init.signal?.aborted) throw init.signal.reason;
    throw new TypeError('fetch failed', { cause: err });
  }
}

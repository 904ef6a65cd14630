import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brokerageFetch } from './brokerage-fetch';

describe('brokerageFetch (oauth4webapi customFetch over undici)', () => {
  let server: Server;
  let base: string;
  const seen: Array<{ method?: string; body: string; type?: string }> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, body, type: req.headers['content-type'] });
        if (req.url === '/empty') return void res.writeHead(204).end();
        if (req.url === '/slow') return void setTimeout(() => res.end('late'), 2_000).unref();
        res.setHeader('Set-Cookie', ['a=1', 'b=2']);
        res.writeHead(400, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error: 'invalid_grant' }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });

  it('sends method, headers and a form body; answers a Response with status, headers and body', async () => {
    const res = await brokerageFetch(`${base}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'r t' }),
      redirect: 'manual',
    });
    expect(seen.at(-1)).toEqual({
      method: 'POST',
      body: 'grant_type=refresh_token&refresh_token=r+t',
      type: 'application/x-www-form-urlencoded',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await res.json()).toEqual({ error: 'invalid_grant' });
  });

  it('a body-less status has no body; a GET sends none', async () => {
    const res = await brokerageFetch(`${base}/empty`, {
      method: 'GET',
      headers: {},
      body: undefined,
      redirect: 'manual',
    });
    expect(res.status).toBe(204);
    expect(res.body).toBeNull();
    expect(seen.at(-1)).toMatchObject({ method: 'GET', body: '' });
  });

  it('fails like fetch: the abort reason on a timeout, TypeError "fetch failed" when unreachable', async () => {
    const timeout = brokerageFetch(`${base}/slow`, {
      method: 'GET',
      headers: {},
      body: undefined,
      redirect: 'manual',
      signal: AbortSignal.timeout(50),
    });
    await expect(timeout).rejects.toMatchObject({ name: 'TimeoutError' });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(
      brokerageFetch(`http://127.0.0.1:${port}/`, {
        method: 'GET',
        headers: {},
        body: undefined,
        redirect: 'manual',
      }),
    ).rejects.toMatchObject({ name: 'TypeError', message: 'fetch failed' });
  });
});

import { once } from 'node:events';
import { createServer, Server } from 'node:http';
import { Writable } from 'node:stream';
import pino from 'pino';
import pinoHttp, { Options } from 'pino-http';
import { loadConfig } from '../../config';
import { pinoHttpOptions, pinoHttpParams } from './pino-options';
import { MASK_DEPTH, redactUrl, SENSITIVE_FIELDS } from './redact';

/** The redaction guarantee, checked on real pino output with the application's own options. */
const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'info', LOG_PRETTY: 'false' });

function capture() {
  let text = '';
  let waiters: Array<() => void> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      for (const w of waiters) w();
      waiters = [];
      done();
    },
  });
  const next = () => new Promise<void>((resolve) => waiters.push(resolve));
  const lines = () =>
    text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { stream, lines, next, raw: () => text };
}

function appLogger() {
  const out = capture();
  const { transport: _none, ...options } = pinoHttpOptions(config);
  return { logger: pino(options, out.stream), ...out };
}

describe('log redaction', () => {
  it('masks fields named like credentials at any depth', () => {
    const { logger, lines } = appLogger();
    logger.info({
      email: 'a@b.c',
      password: 'hunter22',
      nested: {
        refreshToken: 'r',
        apiKey: 'k',
        clientSecret: 's',
        list: [{ accessToken: 'x', ok: 1 }],
      },
      headers: { authorization: 'Bearer abc', cookie: 'sid=1' },
    });
    expect(lines()[0]).toMatchObject({
      email: 'a@b.c',
      password: '[redacted]',
      nested: {
        refreshToken: '[redacted]',
        apiKey: '[redacted]',
        clientSecret: '[redacted]',
        list: [{ accessToken: '[redacted]', ok: 1 }],
      },
      headers: { authorization: '[redacted]', cookie: '[redacted]' },
    });
  });

  it.each(SENSITIVE_FIELDS.map((f) => [f]))(
    '%s never reaches a line, at any depth up to the limit',
    (field) => {
      const { logger, raw } = appLogger();
      for (let depth = 0; depth < MASK_DEPTH; depth++) {
        let obj: Record<string, unknown> = { [field]: `SECRET-${field}-${depth}` };
        for (let d = 0; d < depth; d++) obj = { [`level${d}`]: obj };
        logger.info(obj, 'line');
      }
      expect(raw().split('\n').filter(Boolean)).toHaveLength(MASK_DEPTH);
      expect(raw()).not.toContain('SECRET-');
      expect(raw()).toContain('[redacted]');
    },
  );

  describe('request lines', () => {
    let server: Server;
    let out: ReturnType<typeof capture>;

    beforeAll(async () => {
      out = capture();
      const [options, destination] = pinoHttpParams(config, out.stream) as [Options, Writable];
      const middleware = pinoHttp(options, destination);
      server = createServer((req, res) => {
        middleware(req, res);
        res.statusCode = Number(new URL(req.url!, 'http://x').searchParams.get('status') ?? 200);
        res.setHeader('Set-Cookie', 'sid=SECRET-set-cookie');
        res.end('{}');
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
    });

    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const get = async (path: string, headers: Record<string, string> = {}) => {
      const { port } = server.address() as { port: number };
      // pino-http writes when the response finishes, which the client may see before the line is written.
      const written = out.next();
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers });
      await res.text();
      await written;
      return out.lines().at(-1)!;
    };

    it('carry no header, cookie or OAuth code/state', async () => {
      const line = await get('/cb?code=SECRET-code&state=SECRET-state&status=200', {
        Authorization: 'Bearer SECRET-bearer',
        Cookie: 'sid=SECRET-cookie',
        'User-Agent': 'spec',
        'X-Request-Id': 'req-1',
      });
      expect(line).toMatchObject({
        level: 30,
        req: {
          id: 'req-1',
          method: 'GET',
          url: '/cb?code=%5Bredacted%5D&state=%5Bredacted%5D&status=200',
          userAgent: 'spec',
        },
        res: { statusCode: 200 },
      });
      expect(out.raw()).not.toContain('SECRET-');
    });

    it('log 4xx at info and 5xx at error', async () => {
      expect((await get('/x?status=404')).level).toBe(30);
      expect((await get('/x?status=429')).level).toBe(30);
      expect((await get('/x?status=500')).level).toBe(50);
      expect((await get('/x?status=503')).level).toBe(50);
    });
  });

  it('masks OAuth codes and states in query strings', () => {
    expect(redactUrl('/cb?code=abc&state=def&x=1')).toBe(
      '/cb?code=%5Bredacted%5D&state=%5Bredacted%5D&x=1',
    );
    expect(redactUrl('/plain')).toBe('/plain');
  });
});

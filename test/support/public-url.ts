import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NestExpressApplication } from '@nestjs/platform-express';

/**
 * PUBLIC_URL for an app that calls itself over HTTP (the sandbox adapter's authorization server is this app).
 * The socket is bound in a beforeAll before the app is built, which then serves on it: picking a free port and
 * listening on it later would let another process take it in between (seen as EADDRINUSE under load).
 *
 *   const env = {};
 *   const publicUrl = usePublicUrl(env);        // before useTestApp({ env })
 *   beforeAll(() => publicUrl.serve(t.app));
 */
export function usePublicUrl(env: Record<string, string>): {
  serve: (app: NestExpressApplication) => void;
} {
  const server = createServer();
  beforeAll(async () => {
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    env.PUBLIC_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  });
  return { serve: (app) => void server.on('request', app.getHttpAdapter().getInstance()) };
}

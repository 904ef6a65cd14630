import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandInResponse {
  status: number;
  /** Raw JSON text (money stays exactly as written). */
  body: string;
  headers?: Record<string, string>;
}

export interface StandInRequest {
  path: string;
  query: Record<string, string>;
  token: string | undefined;
}

export type StandInResponder = (req: StandInRequest) => StandInResponse;

/**
 * A stand-in for Schwab's Trader API on 127.0.0.1 (port 0): answers what `responder` says for each GET and keeps
 * every request. The tests and bench/sync.ts decide the JSON; this only speaks HTTP.
 */
export class SchwabStandIn {
  url = '';
  readonly requests: StandInRequest[] = [];
  private server?: Server;

  constructor(public responder: StandInResponder) {}

  async start(): Promise<void> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const auth = req.headers.authorization;
      const request: StandInRequest = {
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        token: auth?.startsWith('Bearer ') ? auth.slice(7) : undefined,
      };
      this.requests.push(request);
      let out: StandInResponse;
      try {
        out = this.responder(request);
      } catch {
        out = { status: 500, body: '{"message":"stand-in failed"}' };
      }
      res.writeHead(out.status, { 'content-type': 'application/json', ...out.headers });
      res.end(out.body);
    });
    this.server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}

export const json = (
  body: string,
  status = 200,
  headers?: Record<string, string>,
): StandInResponse => ({ status, body, headers });

// A Schwab stand-in as a real OAuth 2.0 server process: oauth2-mock-server's service (authorize + token with
// PKCE checks, RS256-signed JWTs) behind a plain HTTP server on 127.0.0.1:0. It runs outside Jest (jose's key
// handling fails inside Jest's VM realm) and is steered by the tests over /__control. Prints its port on stdout.
import { createServer } from 'node:http';
import { OAuth2Issuer, OAuth2Service } from 'oauth2-mock-server';

const SCHWAB_ACCESS_TTL = 1800;
const issuer = new OAuth2Issuer();
await issuer.keys.generate('RS256');
const service = new OAuth2Service(issuer);

const initial = () => ({ fail: null, mode: 'normal', retryAfter: '120', delayMs: 0 });
let control = initial();
let stats = { tokenRequests: 0, calls: [], accessTokens: [], revocations: [] };
const held = [];

service.on('beforeResponse', (response, req) => {
  const body = req.body ?? {};
  stats.calls.push({
    grantType: body.grant_type,
    authorization: req.headers.authorization,
    refreshToken: body.refresh_token,
    codeVerifier: body.code_verifier,
  });
  if (control.fail) {
    response.statusCode = control.fail.status;
    response.body = control.fail.body;
    return;
  }
  if (response.statusCode === 200) {
    response.body = { ...response.body, expires_in: SCHWAB_ACCESS_TTL, scope: 'api' };
    // Schwab returns the same refresh token on refresh.
    if (body.grant_type === 'refresh_token') response.body.refresh_token = body.refresh_token;
    stats.accessTokens.push(String(response.body.access_token));
  }
});

service.on('beforeRevoke', (_response, req) => {
  const body = req.body ?? {};
  stats.revocations.push({
    token: body.token,
    tokenTypeHint: body.token_type_hint,
    authorization: req.headers.authorization,
  });
});

function readJson(req) {
  return new Promise((resolve) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => resolve(data ? JSON.parse(data) : {}));
  });
}

const server = createServer(async (req, res) => {
  if (req.url?.startsWith('/__control')) {
    if (req.method === 'GET') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(stats));
      return;
    }
    const body = await readJson(req);
    if (req.url === '/__control/reset') {
      control = initial();
      stats = { tokenRequests: 0, calls: [], accessTokens: [], revocations: [] };
      for (const r of held.splice(0)) r.destroy();
    } else {
      control = { ...control, ...body };
      if (control.mode !== 'hang') for (const r of held.splice(0)) r.destroy();
    }
    res.writeHead(204).end();
    return;
  }
  if (req.method === 'POST' && req.url?.startsWith('/token')) {
    stats.tokenRequests++;
    if (control.mode === 'hang') {
      held.push(res);
      return;
    }
    if (control.mode === '429') {
      res.writeHead(429, { 'Content-Type': 'application/json', 'Retry-After': control.retryAfter });
      res.end(JSON.stringify({ error: 'rate_limited' }));
      return;
    }
    if (control.delayMs) {
      setTimeout(() => service.requestHandler(req, res), control.delayMs);
      return;
    }
  }
  service.requestHandler(req, res);
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const url = `http://127.0.0.1:${server.address().port}`;
  issuer.url = url;
  process.stdout.write(`${url}\n`);
});
process.on('SIGTERM', () => process.exit(0));

// The benchmark's mock brokerage: a bare token endpoint (Schwab-like JSON, no JWT signing, so the mock is not
// the bottleneck). Counts calls per refresh token and TCP connections; GET /stats reports them with the CPU this
// process used since; POST /reset clears them.
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';

const delayMs = Number(process.env.MOCK_DELAY_MS ?? 0);
let calls = 0;
let sockets = 0;
let cpuAtReset = process.cpuUsage();
const perToken = new Map();
const server = createServer((req, res) => {
  if (req.url === '/stats') {
    let duplicates = 0;
    for (const n of perToken.values()) if (n > 1) duplicates += n - 1;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    const cpu = process.cpuUsage(cpuAtReset);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    res.end(JSON.stringify({ calls, distinct: perToken.size, duplicates, sockets, cpuSeconds }));
    return;
  }
  if (req.url === '/reset') {
    calls = 0;
    sockets = 0;
    cpuAtReset = process.cpuUsage();
    perToken.clear();
    res.writeHead(204).end();
    return;
  }
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const form = new URLSearchParams(body);
    calls++;
    const rt = form.get('refresh_token') ?? '';
    perToken.set(rt, (perToken.get(rt) ?? 0) + 1);
    const answer = () => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
      res.end(
        JSON.stringify({
          access_token: randomBytes(32).toString('base64url'),
          token_type: 'Bearer',
          expires_in: 1800,
          refresh_token: rt,
          scope: 'api',
        }),
      );
    };
    // MOCK_DELAY_MS: a slow brokerage (bench/bystander.ts).
    if (delayMs) setTimeout(answer, delayMs);
    else answer();
  });
});
server.on('connection', () => sockets++);
server.listen(0, '127.0.0.1', () =>
  process.stdout.write(`http://127.0.0.1:${server.address().port}\n`),
);
process.on('SIGTERM', () => process.exit(0));

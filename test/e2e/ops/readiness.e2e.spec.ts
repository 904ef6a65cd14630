import { Outage } from '../../support/outage';
import { useTestApp } from '../../harness';

/** With REDIS_URL set, readiness checks Redis too and names it when it is the dependency that is down. */
const redis = new Outage({ host: '127.0.0.1', port: 6379 });

describe('readiness with Redis configured', () => {
  // Registered before useTestApp's hooks, so the proxy's port is known when the app reads its configuration.
  const env: Record<string, string> = {};
  beforeAll(async () => {
    await redis.up();
    env.REDIS_URL = `redis://127.0.0.1:${redis.port}/0`;
  });
  afterAll(() => redis.down());

  const t = useTestApp({ env });

  it('is up with both, 503 naming Redis while it is away, and up again once it is back', async () => {
    await t.http().get('/health/ready').expect(200, { status: 'ok', database: 'up', redis: 'up' });

    await redis.down();
    const res = await t.http().get('/health/ready').expect(503);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
    expect(res.body).toMatchObject({
      status: 503,
      code: 'redis_unavailable',
      detail: 'Redis is not reachable.',
      checks: { database: 'up', redis: 'down' },
    });
    await t.http().get('/health').expect(200);

    await redis.up();
    await t.http().get('/health/ready').expect(200, { status: 'ok', database: 'up', redis: 'up' });
  });
});

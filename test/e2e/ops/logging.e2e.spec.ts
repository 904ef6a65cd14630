import { Controller, Get, Logger, Module } from '@nestjs/common';
import { Writable } from 'node:stream';
import { Public } from '../../../src/common/decorators/public.decorator';
import { LOG_DESTINATION } from '../../../src/common/logging/logging.module';
import { useTestApp } from '../../harness';

/**
 * Log lines of the real app (AppModule + configureApp) at LOG_LEVEL=info, captured through LOG_DESTINATION:
 * credentials sent by a client never reach a line, Nest's per-route boot lines sit at debug, and request lines
 * are info for 4xx and error for 5xx.
 */
class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
  lines(): Array<Record<string, unknown>> {
    return this.text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

@Public()
@Controller('log-probe')
class LogProbeController {
  private readonly logger = new Logger('LogProbe');

  @Get('boom')
  boom(): never {
    this.logger.warn(
      {
        user: { password: 'SECRET-pw', session: { refreshToken: 'SECRET-rt' } },
        clientSecret: 'SECRET-cs',
      },
      'probe',
    );
    throw new Error('probe failure');
  }
}

@Module({ controllers: [LogProbeController] })
class LogProbeModule {}

const out = new Capture();

describe('application log lines', () => {
  const t = useTestApp({
    env: { LOG_LEVEL: 'info', LOG_PRETTY: 'false' },
    imports: [LogProbeModule],
    overrides: [{ provide: LOG_DESTINATION, useValue: out }],
  });

  it('puts route mapping at debug: no Mapped/Controller line at info during boot', () => {
    const boot = out.lines();
    const chatter = boot.filter((l) =>
      ['RouterExplorer', 'RoutesResolver', 'InstanceLoader'].includes(l.context as string),
    );
    expect(chatter).toEqual([]);
    expect(boot.filter((l) => (l.level as number) >= 30).length).toBeLessThanOrEqual(5);
  });

  it('never writes passwords, tokens, cookies, authorization headers or OAuth code/state', async () => {
    const email = `log-${Date.now()}@example.test`;
    await t.http().post('/api/v1/auth/register').send({ email, password: 'SECRET-password-1' });
    await t
      .http()
      .post('/api/v1/auth/login')
      .set('Cookie', 'session=SECRET-cookie')
      .send({ email, password: 'SECRET-password-1' });
    await t.http().get('/api/v1/auth/me').set('Authorization', 'Bearer SECRET-bearer');
    await t.http().get('/api/v1/providers/oauth/callback?code=SECRET-code&state=SECRET-state');
    await t.http().get('/api/v1/log-probe/boom').expect(500);

    const lines = out.lines();
    expect(
      lines.some((l) =>
        (l.req as { url?: string } | undefined)?.url?.startsWith(
          '/api/v1/providers/oauth/callback?code=%5Bredacted%5D&state=%5Bredacted%5D',
        ),
      ),
    ).toBe(true);
    expect(lines.find((l) => l.msg === 'probe')).toMatchObject({
      user: { password: '[redacted]', session: { refreshToken: '[redacted]' } },
      clientSecret: '[redacted]',
    });
    expect(out.text).not.toContain('SECRET-');
  });

  it('logs 4xx request lines at info and 5xx at error', async () => {
    await t.http().get('/api/v1/nope').expect(404);
    await t.http().get('/api/v1/log-probe/boom').expect(500);
    const completed = (path: string) =>
      out.lines().filter((l) => (l.req as { url?: string } | undefined)?.url === path && l.res);
    expect(completed('/api/v1/nope').at(-1)).toMatchObject({ level: 30, res: { statusCode: 404 } });
    expect(completed('/api/v1/log-probe/boom').at(-1)).toMatchObject({
      level: 50,
      res: { statusCode: 500 },
    });
  });
});

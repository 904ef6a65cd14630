import { Controller, ExecutionContext, Get } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { FakeClock } from '../../common/clock';
import { RequireVerifiedEmail, Roles } from '../../common/decorators/current-user.decorator';
import { Public } from '../../common/decorators/public.decorator';
import { AppException } from '../../common/errors/app.exception';
import { loadConfig } from '../../config';
import { AccessTokenService, InvalidAccessToken } from './access-token.service';
import { AuthGuard } from './auth.guard';
import { LiveSession, SessionsRepository } from './sessions.repository';

const SID = '11111111-1111-4111-8111-111111111111';
const SUB = '22222222-2222-4222-8222-222222222222';

@Controller()
class Sample {
  @Public() @Get() open() {}
  @Get() plain() {}
  @RequireVerifiedEmail() @Get() verifiedOnly() {}
  @Roles('admin') @Get() adminOnly() {}
  @Public() @Roles('admin') @Get() publicAdmin() {}
  @Public() @RequireVerifiedEmail() @Get() publicVerified() {}
}

function context(
  handler: keyof Sample,
  authorization?: string,
  type = 'http',
): { ctx: ExecutionContext; req: Record<string, unknown> } {
  const req: Record<string, unknown> = { headers: authorization ? { authorization } : {} };
  const ctx = {
    getType: () => type,
    getHandler: () => Sample.prototype[handler],
    getClass: () => Sample,
    switchToHttp: () => ({ getRequest: () => req }),
  } as unknown as ExecutionContext;
  return { ctx, req };
}

describe('AuthGuard', () => {
  const clock = new FakeClock();
  let live: LiveSession | null;
  let verifyImpl: () => Promise<{ userId: string; sessionId: string }>;
  const tokens = { verify: () => verifyImpl() } as unknown as AccessTokenService;
  const sessions = { findLive: jest.fn(async () => live) } as unknown as SessionsRepository;
  const guard = (env: Record<string, string> = {}) =>
    new AuthGuard(new Reflector(), tokens, sessions, clock, loadConfig(env));
  const bearer = 'Bearer aaa.bbb.ccc';

  beforeEach(() => {
    live = { userId: SUB, email: 'a@b.co', emailVerified: true, roles: ['user'] };
    verifyImpl = async () => ({ userId: SUB, sessionId: SID });
  });

  const rejects = async (p: Promise<unknown>, status: number, code: string) => {
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppException);
    expect(err).toMatchObject({ status, code });
  };

  it('lets @Public() routes through without a token', async () => {
    await expect(guard().canActivate(context('open').ctx)).resolves.toBe(true);
  });

  it('denies non-HTTP contexts by default, even with a valid token', async () => {
    await rejects(guard().canActivate(context('plain', bearer, 'rpc').ctx), 401, 'unauthorized');
    await rejects(guard().canActivate(context('open', undefined, 'ws').ctx), 401, 'unauthorized');
  });

  it('fails loudly when @Public() is combined with @Roles() or @RequireVerifiedEmail()', async () => {
    await expect(guard().canActivate(context('publicAdmin').ctx)).rejects.toThrow(
      /Sample\.publicAdmin: @Public\(\) cannot be combined/,
    );
    await expect(guard().canActivate(context('publicVerified').ctx)).rejects.toThrow(
      /@Public\(\) cannot be combined/,
    );
  });

  it('attaches the current user from the live session', async () => {
    const { ctx, req } = context('plain', bearer);
    await expect(guard().canActivate(ctx)).resolves.toBe(true);
    expect(req.user).toEqual({
      id: SUB,
      sessionId: SID,
      email: 'a@b.co',
      emailVerified: true,
      roles: ['user'],
    });
  });

  it('refuses a missing token, a bad token, a non-uuid sid and a dead session with 401', async () => {
    await rejects(guard().canActivate(context('plain').ctx), 401, 'unauthorized');
    verifyImpl = async () => {
      throw new InvalidAccessToken('x');
    };
    await rejects(guard().canActivate(context('plain', bearer).ctx), 401, 'unauthorized');
    verifyImpl = async () => ({ userId: SUB, sessionId: 'nope' });
    await rejects(guard().canActivate(context('plain', bearer).ctx), 401, 'unauthorized');
    verifyImpl = async () => ({ userId: SUB, sessionId: SID });
    live = null;
    await rejects(guard().canActivate(context('plain', bearer).ctx), 401, 'unauthorized');
  });

  it('lets unexpected errors surface (500), not as a silent 401', async () => {
    verifyImpl = async () => {
      throw new Error('db down');
    };
    await expect(guard().canActivate(context('plain', bearer).ctx)).rejects.toThrow('db down');
  });

  it('enforces @RequireVerifiedEmail() with 403 email_not_verified', async () => {
    await expect(guard().canActivate(context('verifiedOnly', bearer).ctx)).resolves.toBe(true);
    live = { ...live!, emailVerified: false };
    await rejects(
      guard().canActivate(context('verifiedOnly', bearer).ctx),
      403,
      'email_not_verified',
    );
    await expect(guard().canActivate(context('plain', bearer).ctx)).resolves.toBe(true);
  });

  it('enforces @Roles()', async () => {
    await rejects(guard().canActivate(context('adminOnly', bearer).ctx), 403, 'forbidden');
    live = { ...live!, roles: ['user', 'admin'] };
    await expect(guard().canActivate(context('adminOnly', bearer).ctx)).resolves.toBe(true);
  });

  it('skips the database only when the session check is disabled (benchmark mode)', async () => {
    (sessions.findLive as jest.Mock).mockClear();
    const { ctx, req } = context('plain', bearer);
    await guard({ AUTH_SESSION_CHECK: 'false' }).canActivate(ctx);
    expect(sessions.findLive).not.toHaveBeenCalled();
    expect(req.user).toMatchObject({ id: SUB, sessionId: SID, roles: [] });
  });
});

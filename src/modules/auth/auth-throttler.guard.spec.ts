import { ExecutionContext, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerStorage } from '@nestjs/throttler';
import { loadConfig } from '../../config';
import { authThrottlers, AuthThrottlerGuard } from './auth-throttler.guard';
import { sha256Hex } from './crypto.util';

const ctx = (body: unknown, user?: { id: string }) =>
  ({
    switchToHttp: () => ({ getRequest: () => ({ body, user }) }),
  }) as unknown as ExecutionContext;

describe('auth throttlers', () => {
  const [ip, account, accountGlobal, user] = authThrottlers(
    loadConfig({
      AUTH_THROTTLE_IP_LIMIT: '7',
      AUTH_THROTTLE_ACCOUNT_LIMIT: '3',
      AUTH_THROTTLE_ACCOUNT_GLOBAL_LIMIT: '9',
    }).auth,
  );

  it('configures per-IP, per-(account, IP), per-account and per-user throttlers from config', () => {
    expect(ip).toMatchObject({ name: 'ip', limit: 7, ttl: 60_000 });
    expect(account).toMatchObject({ name: 'account', limit: 3, ttl: 60_000 });
    expect(accountGlobal).toMatchObject({ name: 'account_global', limit: 9, ttl: 60_000 });
    expect(user).toMatchObject({ name: 'user', limit: 3, ttl: 60_000 });
  });

  it('keys accounts by the hash of the normalised email (and the client IP) and skips bodies without one', async () => {
    for (const t of [account, accountGlobal]) {
      expect(t.skipIf!(ctx({ email: 'A@B.co' }))).toBe(false);
      expect(t.skipIf!(ctx({ refreshToken: 'x' }))).toBe(true);
      expect(t.skipIf!(ctx({ email: ['a@b.co'] }))).toBe(true);
      expect(t.skipIf!(ctx({ email: `${'a'.repeat(400)}@b.co` }))).toBe(true);
      expect(t.skipIf!(ctx(undefined))).toBe(true);
    }
    const req = { ip: '198.51.100.7' };
    expect(await account.getTracker!(req, ctx({ email: ' A@B.co ' }))).toBe(
      `account:${sha256Hex('a@b.co\n198.51.100.7')}`,
    );
    expect(await account.getTracker!(req, ctx({ email: 'a@b.co' }))).not.toBe(
      await account.getTracker!({ ip: '198.51.100.8' }, ctx({ email: 'a@b.co' })),
    );
    expect(await account.getTracker!({}, ctx({}))).toBe(`account:${sha256Hex('\n')}`);
    // IPv6: one /64 is one client for the per-(account, IP) budget, as for the per-IP one.
    const v6 = (a: string) => account.getTracker!({ ip: a }, ctx({ email: 'a@b.co' }));
    expect(await v6('2001:db8:1:2::1')).toBe(await v6('2001:db8:1:2:ffff:1:2:3'));
    expect(await v6('2001:db8:1:2::1')).toBe(`account:${sha256Hex('a@b.co\n2001:db8:1:2::/64')}`);
    expect(await v6('2001:db8:1:2::1')).not.toBe(await v6('2001:db8:1:3::1'));
    expect(await accountGlobal.getTracker!(req, ctx({ email: ' A@B.co ' }))).toBe(
      `account:${sha256Hex('a@b.co')}`,
    );
    expect(await accountGlobal.getTracker!({}, ctx({}))).toBe(`account:${sha256Hex('')}`);
  });

  it('keys change-password by the signed-in user and skips anonymous requests', async () => {
    expect(user.skipIf!(ctx({}))).toBe(true);
    expect(user.skipIf!(ctx({}, { id: 'u1' }))).toBe(false);
    expect(await user.getTracker!({}, ctx({}, { id: 'u1' }))).toBe('user:u1');
    expect(await user.getTracker!({}, ctx({}))).toBe('user:');
  });

  it('answers 429 problem with Retry-After', async () => {
    const guard = new AuthThrottlerGuard([], {} as never, {} as never);
    const call = (
      guard as unknown as {
        throwThrottlingException: (c: unknown, d: { timeToBlockExpire: number }) => Promise<void>;
      }
    ).throwThrottlingException;
    await expect(call.call(guard, ctx({}), { timeToBlockExpire: 42 })).rejects.toMatchObject({
      status: 429,
      code: 'too_many_requests',
      headers: { 'Retry-After': '42' },
    });
    await expect(call.call(guard, ctx({}), { timeToBlockExpire: 0 })).rejects.toMatchObject({
      headers: { 'Retry-After': '1' },
    });
  });

  it('answers 503 rate_limiter_unavailable when the store fails, logging once per outage', async () => {
    let down = true;
    const storage: ThrottlerStorage = {
      increment: async () => {
        if (down) throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
        return { totalHits: 1, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 };
      },
    };
    const guard = new AuthThrottlerGuard(
      [{ name: 'ip', ttl: 60_000, limit: 5 }],
      storage,
      new Reflector(),
    );
    await guard.onModuleInit();
    const errorLog = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const req = { ip: '198.51.100.1', headers: {}, body: {} };
    const res = { header: jest.fn() };
    const http = {
      getHandler: () => http.getHandler,
      getClass: () => AuthThrottlerGuard,
      switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }),
    } as unknown as ExecutionContext;
    try {
      for (let i = 0; i < 3; i++) {
        await expect(guard.canActivate(http)).rejects.toMatchObject({
          status: 503,
          code: 'rate_limiter_unavailable',
        });
      }
      expect(errorLog).toHaveBeenCalledTimes(1);
      expect(JSON.stringify(errorLog.mock.calls)).not.toContain('127.0.0.1');
      down = false;
      await expect(guard.canActivate(http)).resolves.toBe(true);
      down = true; // a new outage is logged again
      await expect(guard.canActivate(http)).rejects.toMatchObject({ status: 503 });
      expect(errorLog).toHaveBeenCalledTimes(2);
    } finally {
      errorLog.mockRestore();
    }
  });
});

import { ExecutionContext } from '@nestjs/common';
import { loadConfig } from '../../config';
import { authThrottlers, AuthThrottlerGuard } from './auth-throttler.guard';
import { sha256Hex } from './crypto.util';

const ctx = (body: unknown) =>
  ({ switchToHttp: () => ({ getRequest: () => ({ body }) }) }) as unknown as ExecutionContext;

describe('auth throttlers', () => {
  const [ip, account] = authThrottlers(
    loadConfig({ AUTH_THROTTLE_IP_LIMIT: '7', AUTH_THROTTLE_ACCOUNT_LIMIT: '3' }).auth,
  );

  it('configures a per-IP and a per-account throttler from config', () => {
    expect(ip).toMatchObject({ name: 'ip', limit: 7, ttl: 60_000 });
    expect(account).toMatchObject({ name: 'account', limit: 3, ttl: 60_000 });
  });

  it('keys accounts by the hash of the normalised email and skips bodies without one', async () => {
    expect(account.skipIf!(ctx({ email: 'A@B.co' }))).toBe(false);
    expect(account.skipIf!(ctx({ refreshToken: 'x' }))).toBe(true);
    expect(account.skipIf!(ctx({ email: ['a@b.co'] }))).toBe(true);
    expect(account.skipIf!(ctx({ email: `${'a'.repeat(400)}@b.co` }))).toBe(true);
    expect(account.skipIf!(ctx(undefined))).toBe(true);
    expect(await account.getTracker!({}, ctx({ email: ' A@B.co ' }))).toBe(
      `account:${sha256Hex('a@b.co')}`,
    );
    expect(await account.getTracker!({}, ctx({}))).toBe(`account:${sha256Hex('')}`);
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
});

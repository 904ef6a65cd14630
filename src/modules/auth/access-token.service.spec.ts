import { SignJWT } from 'jose';
import { FakeClock } from '../../common/clock';
import { loadConfig } from '../../config';
import { AccessTokenService, InvalidAccessToken } from './access-token.service';

const SID = '11111111-1111-4111-8111-111111111111';
const SUB = '22222222-2222-4222-8222-222222222222';

describe('AccessTokenService', () => {
  const clock = new FakeClock('2026-03-01T00:00:00Z');
  const config = loadConfig({
    JWT_SIGNING_KEYS:
      'new:new-key-0123456789abcdef0123456789ab,old:old-key-0123456789abcdef0123456789ab',
  });
  const service = new AccessTokenService(config, clock);

  it('signs HS256 with kid, typ at+jwt, iss, aud, sub, sid, iat, exp = iat + 15 min', async () => {
    const token = await service.sign({ userId: SUB, sessionId: SID });
    const [h, p] = token
      .split('.')
      .slice(0, 2)
      .map((s) => JSON.parse(Buffer.from(s, 'base64url').toString()));
    expect(h).toEqual({ alg: 'HS256', kid: 'new', typ: 'at+jwt' });
    expect(p).toMatchObject({
      sub: SUB,
      sid: SID,
      iss: 'http://localhost:3000',
      aud: 'dashtam-api',
    });
    expect(p.exp - p.iat).toBe(900);
    await expect(service.verify(token)).resolves.toEqual({ userId: SUB, sessionId: SID });
  });

  it('verifies tokens of an older key still in the ring', async () => {
    const oldOnly = new AccessTokenService(
      loadConfig({ JWT_SIGNING_KEYS: 'old:old-key-0123456789abcdef0123456789ab' }),
      clock,
    );
    await expect(
      service.verify(await oldOnly.sign({ userId: SUB, sessionId: SID })),
    ).resolves.toMatchObject({ userId: SUB });
  });

  it('reports why a token is refused', async () => {
    await expect(service.verify('not a jwt')).rejects.toMatchObject({ reason: 'malformed' });
    const noKid = await new SignJWT({ sid: SID })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode('x'.repeat(32)));
    await expect(service.verify(noKid)).rejects.toMatchObject({ reason: 'unknown_kid' });
    const token = await service.sign({ userId: SUB, sessionId: SID });
    clock.advance(16 * 60 * 1000);
    await expect(service.verify(token)).rejects.toMatchObject({ reason: 'ERR_JWT_EXPIRED' });
    clock.advance(-16 * 60 * 1000);
    const numericSid = await new SignJWT({ sid: 42 })
      .setProtectedHeader({ alg: 'HS256', kid: 'new', typ: 'at+jwt' })
      .setSubject(SUB)
      .setIssuer('http://localhost:3000')
      .setAudience('dashtam-api')
      .setIssuedAt(Math.floor(clock.now().getTime() / 1000))
      .setExpirationTime(Math.floor(clock.now().getTime() / 1000) + 60)
      .sign(config.auth.jwtKeys[0].secret);
    const err = await service.verify(numericSid).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidAccessToken);
    expect((err as InvalidAccessToken).reason).toBe('claims');
  });
});

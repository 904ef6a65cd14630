import fc from 'fast-check';
import { createDecipheriv, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Fernet,
  FernetError,
  FernetExpiredError,
  FernetFutureTokenError,
  FernetKeyError,
  FernetMalformedTokenError,
  FernetSignatureError,
  FernetTokenError,
  FernetUsageError,
  generateKey,
  MultiFernet,
} from './fernet';

// Verbatim copies of the fernet-spec vectors (provenance in __fixtures__/SOURCE.md), kept in the repository
// so a fresh clone is self-contained.
const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(join(__dirname, '__fixtures__', name), 'utf8')) as T;
interface Vector {
  token: string;
  now: string;
  secret: string;
  src?: string;
  iv?: number[];
  ttl_sec?: number;
  desc?: string;
}
const generateVectors = fixture<Vector[]>('generate.json');
const verifyVectors = fixture<Vector[]>('verify.json');
const invalidVectors = fixture<Vector[]>('invalid.json');

const KEY = 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=';
const T0 = new Date('2026-01-01T00:00:00Z');

const b64 = (buf: Buffer) => {
  const s = buf.toString('base64url');
  return s + '='.repeat((4 - (s.length % 4)) % 4);
};
const raw = (token: string) => Buffer.from(token, 'base64url');
/** Re-signs a modified token body so tests reach the checks that come after the HMAC. */
const resign = (key: string, body: Buffer) => {
  const signing = Buffer.from(key, 'base64url').subarray(0, 16);
  return b64(Buffer.concat([body, createHmac('sha256', signing).update(body).digest()]));
};

/** Runs `fn`, asserting that it throws exactly the given typed error (and nothing else). */
function expectError(fn: () => unknown, type: new (...args: never[]) => FernetError): FernetError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(type);
  return caught as FernetError;
}

describe('Fernet acceptance vectors (fernet-spec)', () => {
  it.each(generateVectors.map((v) => [v.token, v] as const))(
    'generates %s byte for byte',
    (_t, v) => {
      const token = new Fernet(v.secret).encrypt(v.src as string, {
        now: new Date(v.now),
        iv: Buffer.from(v.iv as number[]),
      });
      expect(token).toBe(v.token);
    },
  );

  it.each(verifyVectors.map((v) => [v.token, v] as const))('verifies %s', (_t, v) => {
    const plain = new Fernet(v.secret).decrypt(v.token, {
      ttlSeconds: v.ttl_sec,
      now: new Date(v.now),
    });
    expect(plain.toString('utf8')).toBe(v.src);
  });

  it.each(invalidVectors.map((v) => [v.desc, v] as const))('rejects "%s"', (_d, v) => {
    const f = new Fernet(v.secret);
    expectError(
      () => f.decrypt(v.token, { ttlSeconds: v.ttl_sec, now: new Date(v.now) }),
      FernetTokenError,
    );
    expectError(
      () =>
        new MultiFernet([generateKey(), v.secret]).decrypt(v.token, {
          ttlSeconds: v.ttl_sec,
          now: new Date(v.now),
        }),
      FernetTokenError,
    );
  });

  it('classifies the invalid vectors precisely', () => {
    const kinds = Object.fromEntries(
      invalidVectors.map((v) => {
        try {
          new Fernet(v.secret).decrypt(v.token, { ttlSeconds: v.ttl_sec, now: new Date(v.now) });
          return [v.desc, 'accepted'];
        } catch (err) {
          return [v.desc, (err as Error).constructor.name];
        }
      }),
    );
    expect(kinds).toEqual({
      'incorrect mac': 'FernetSignatureError',
      'too short': 'FernetMalformedTokenError',
      'invalid base64': 'FernetMalformedTokenError',
      'payload size not multiple of block size': 'FernetMalformedTokenError',
      'payload padding error': 'FernetMalformedTokenError',
      'far-future TS (unacceptable clock skew)': 'FernetFutureTokenError',
      'expired TTL': 'FernetExpiredError',
      'incorrect IV (causes padding error)': 'FernetMalformedTokenError',
    });
  });
});

describe('Fernet round trips (property-based)', () => {
  const f = new Fernet(generateKey());
  // Unit 'binary' drawn the way fast-check draws it (index → code point, surrogates skipped), without the
  // 1.1-million-entry reverse map it builds on first use to shrink foreign values (0.9 s, unused here).
  const scalarValue = fc
    .integer({ min: 0, max: 0x10ffff - 0x800 })
    .map((i) => String.fromCodePoint(i < 0xd800 ? i : i + 0x800));

  it('round-trips arbitrary binary data, including empty', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 2048 }), (data) => {
        const token = f.encrypt(Buffer.from(data));
        expect(f.decrypt(token).equals(Buffer.from(data))).toBe(true);
      }),
    );
  });

  it('round-trips Unicode strings (full code-point range) as UTF-8', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 200 }),
        fc.string({ unit: scalarValue, maxLength: 50 }),
        (a, b) => {
          const s = a + b;
          expect(f.decrypt(f.encrypt(s)).toString('utf8')).toBe(
            Buffer.from(s, 'utf8').toString('utf8'),
          );
        },
      ),
    );
  });

  it('round-trips the empty string and a large (1 MiB) payload', () => {
    expect(f.decrypt(f.encrypt('')).length).toBe(0);
    const big = Buffer.alloc(1024 * 1024 + 3, 0xab);
    expect(f.decrypt(f.encrypt(big)).equals(big)).toBe(true);
  });

  it('accepts Uint8Array views without copying the wrong bytes', () => {
    const backing = new Uint8Array([9, 9, 1, 2, 3, 9]);
    expect([...f.decrypt(f.encrypt(backing.subarray(2, 5)))]).toEqual([1, 2, 3]);
  });

  it('produces padded base64url that is a whole number of blocks, with a fresh IV each time', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (data) => {
        const token = f.encrypt(Buffer.from(data), { now: T0 });
        expect(token).toMatch(/^[A-Za-z0-9_-]+={0,2}$/);
        expect(token.length % 4).toBe(0);
        const bytes = raw(token);
        expect(bytes[0]).toBe(0x80);
        expect(bytes.readBigUInt64BE(1)).toBe(BigInt(T0.getTime() / 1000));
        expect((bytes.length - 57) % 16).toBe(0);
        expect(Math.floor(data.length / 16) + 1).toBe((bytes.length - 57) / 16);
      }),
    );
    expect(f.encrypt('same')).not.toBe(f.encrypt('same'));
  });
});

describe('Fernet tampering', () => {
  const f = new Fernet(KEY);
  const token = f.encrypt('attack at dawn, bring snacks', { now: T0 });
  const bytes = raw(token);

  it('rejects a flipped bit in every byte (version, timestamp, IV, ciphertext, HMAC) with a typed error', () => {
    for (let i = 0; i < bytes.length; i++) {
      for (const mask of [0x01, 0x80]) {
        const copy = Buffer.from(bytes);
        copy[i] ^= mask;
        const err = expectError(
          () => f.decrypt(b64(copy), { ttlSeconds: 10 ** 9, now: T0 }),
          FernetTokenError,
        );
        // The version byte is checked first; every other region is covered by the HMAC (a future timestamp
        // may be caught by the skew check before it).
        if (i === 0) expect(err).toBeInstanceOf(FernetMalformedTokenError);
        else if (i >= 9) expect(err).toBeInstanceOf(FernetSignatureError);
        else expect([FernetSignatureError, FernetFutureTokenError]).toContain(err.constructor);
      }
    }
  });

  it('rejects truncation and extension at every length', () => {
    for (let n = 0; n < bytes.length; n++) {
      if (n === 0) continue; // an empty string is covered below
      expectError(() => f.decrypt(b64(bytes.subarray(0, n))), FernetTokenError);
    }
    for (const extra of [1, 15, 16, 32]) {
      expectError(
        () => f.decrypt(b64(Buffer.concat([bytes, Buffer.alloc(extra)]))),
        FernetTokenError,
      );
    }
  });

  it('rejects arbitrary strings and arbitrary byte strings only with the typed error', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        expectError(() => f.decrypt(s), FernetTokenError);
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
        const body = Buffer.from(data);
        if (body.length > 0) body[0] = 0x80;
        expectError(() => f.decrypt(b64(body)), FernetTokenError);
      }),
    );
  });

  it('rejects non-strings, unpadded, standard-alphabet, whitespace and non-canonical encodings', () => {
    for (const bad of [undefined, null, 42, {}, Buffer.from(token)]) {
      expectError(() => f.decrypt(bad as string), FernetMalformedTokenError);
    }
    expectError(() => f.decrypt(''), FernetMalformedTokenError);
    expectError(() => f.decrypt(token.replace(/=+$/, '')), FernetMalformedTokenError);
    expectError(() => f.decrypt(` ${token.slice(1)}`), FernetMalformedTokenError);
    expectError(
      () => f.decrypt(`${token.slice(0, 8)}\n${token.slice(9)}`),
      FernetMalformedTokenError,
    );
    // '+' and '/' are the standard alphabet: Python's urlsafe decoder would accept them; we never emit them.
    expectError(
      () =>
        f.decrypt(token.replace(/-/g, '+').replace(/_/g, '/') + (token.match(/[-_]/) ? '' : '+')),
      FernetMalformedTokenError,
    );
    // Non-canonical: the same bytes with nonzero trailing bits must not be a second valid spelling.
    const pad = token.match(/=+$/)?.[0] ?? '';
    expect(pad.length).toBeGreaterThan(0);
    const body = token.slice(0, token.length - pad.length);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(body[body.length - 1]);
    const tweaked = body.slice(0, -1) + alphabet[last | 1] + pad;
    expect(Buffer.from(tweaked, 'base64url').equals(bytes)).toBe(true); // Node alone would accept it
    expectError(() => f.decrypt(tweaked), FernetMalformedTokenError);
  });

  it('rejects a validly signed token with bad padding or a bad block count as malformed', () => {
    const body = bytes.subarray(0, bytes.length - 32);
    // Valid HMAC, ciphertext shortened by one byte.
    expectError(
      () => f.decrypt(resign(KEY, body.subarray(0, body.length - 1))),
      FernetMalformedTokenError,
    );
    // Valid HMAC over a block whose IV makes it decrypt to zeros: a last byte of 0 is never valid PKCS#7.
    const block = Buffer.alloc(16, 0x11);
    const encryptionKey = Buffer.from(KEY, 'base64url').subarray(16);
    const iv = createDecipheriv('aes-128-ecb', encryptionKey, null)
      .setAutoPadding(false)
      .update(block);
    const garbage = Buffer.concat([body.subarray(0, 9), iv, block]);
    expectError(() => f.decrypt(resign(KEY, garbage)), FernetMalformedTokenError);
    // Wrong version, otherwise valid.
    const v = Buffer.from(body);
    v[0] = 0x81;
    expectError(() => f.decrypt(resign(KEY, v)), FernetMalformedTokenError);
  });

  it('rejects a token made with another key', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        expectError(() => new Fernet(generateKey()).decrypt(f.encrypt(s)), FernetSignatureError);
      }),
      { numRuns: 50 },
    );
  });

  it('never echoes the token or the key in an error message', () => {
    const err = expectError(() => new Fernet(generateKey()).decrypt(token), FernetSignatureError);
    expect(err.message).not.toContain(token.slice(10, 30));
    const keyErr = expectError(() => new Fernet(KEY.slice(0, 43) + 'x'), FernetKeyError);
    expect(keyErr.message).not.toContain(KEY.slice(0, 20));
    expect(keyErr.code).toBe('fernet_bad_key');
  });
});

describe('Fernet TTL and clock skew (injected now)', () => {
  const f = new Fernet(KEY);
  const token = f.encrypt('x', { now: new Date('2026-01-01T00:00:00.900Z') }); // timestamps are whole seconds
  const at = (iso: string) => new Date(iso);

  it('accepts a token exactly ttl seconds old and refuses one a second older', () => {
    expect(
      f.decrypt(token, { ttlSeconds: 60, now: at('2026-01-01T00:01:00.999Z') }).toString(),
    ).toBe('x');
    expectError(
      () => f.decrypt(token, { ttlSeconds: 60, now: at('2026-01-01T00:01:01Z') }),
      FernetExpiredError,
    );
    expect(
      f.decrypt(token, { ttlSeconds: 0, now: at('2026-01-01T00:00:00.999Z') }).toString(),
    ).toBe('x');
    expectError(
      () => f.decrypt(token, { ttlSeconds: 0, now: at('2026-01-01T00:00:01Z') }),
      FernetExpiredError,
    );
  });

  it('allows 60 s of clock skew into the future and no more', () => {
    expect(f.decrypt(token, { ttlSeconds: 10, now: at('2025-12-31T23:59:00Z') }).toString()).toBe(
      'x',
    );
    expectError(
      () => f.decrypt(token, { ttlSeconds: 10, now: at('2025-12-31T23:58:59.999Z') }),
      FernetFutureTokenError,
    );
  });

  it('applies no age or skew check without a TTL (Python semantics)', () => {
    expect(f.decrypt(token, { now: at('2100-01-01T00:00:00Z') }).toString()).toBe('x');
    expect(f.decrypt(token, { now: at('1999-01-01T00:00:00Z') }).toString()).toBe('x');
    const multi = new MultiFernet([KEY]);
    expectError(
      () => multi.decrypt(token, { ttlSeconds: 5, now: at('2026-01-01T00:00:06Z') }),
      FernetExpiredError,
    );
  });

  it('checks expiry before the signature, as the spec orders it', () => {
    expectError(
      () =>
        new Fernet(generateKey()).decrypt(token, {
          ttlSeconds: 1,
          now: at('2030-01-01T00:00:00Z'),
        }),
      FernetExpiredError,
    );
  });

  it('handles the largest timestamps without overflow', () => {
    const body = Buffer.from(raw(token).subarray(0, raw(token).length - 32));
    body.writeBigUInt64BE(0xffffffffffffffffn, 1);
    const future = resign(KEY, body);
    expect(f.decrypt(future).toString()).toBe('x');
    expectError(() => f.decrypt(future, { ttlSeconds: 60, now: T0 }), FernetFutureTokenError);
    expect(raw(new MultiFernet([generateKey(), KEY]).rotate(future)).readBigUInt64BE(1)).toBe(
      0xffffffffffffffffn,
    );
  });

  it('refuses unusable arguments with a usage error', () => {
    expectError(() => f.decrypt(token, { ttlSeconds: -1 }), FernetUsageError);
    expectError(() => f.decrypt(token, { ttlSeconds: Number.NaN }), FernetUsageError);
    expectError(() => f.decrypt(token, { ttlSeconds: 5, now: new Date('nope') }), FernetUsageError);
    expectError(() => f.encrypt('x', { now: new Date(-1000) }), FernetUsageError);
    expectError(() => f.encrypt('x', { iv: Buffer.alloc(15) }), FernetUsageError);
    expectError(() => f.encrypt(42 as unknown as string), FernetUsageError);
  });

  it('uses the current time by default', () => {
    const before = Math.floor(Date.now() / 1000);
    const ts = Number(raw(f.encrypt('now')).readBigUInt64BE(1));
    expect(ts).toBeGreaterThanOrEqual(before);
    expect(ts).toBeLessThanOrEqual(before + 5);
    expect(f.decrypt(f.encrypt('now'), { ttlSeconds: 60 }).toString()).toBe('now');
  });
});

describe('Fernet keys', () => {
  it('generates 44-character padded base64url keys of 32 random bytes', () => {
    const keys = new Set(Array.from({ length: 100 }, () => generateKey()));
    expect(keys.size).toBe(100);
    for (const k of keys) {
      expect(k).toMatch(/^[A-Za-z0-9_-]{43}=$/);
      expect(Buffer.from(k, 'base64url')).toHaveLength(32);
      expect(() => new Fernet(k)).not.toThrow();
    }
  });

  it('parses any 32-byte key written as padded base64url', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        const f = new Fernet(b64(Buffer.from(bytes)));
        expect(f.decrypt(f.encrypt('k')).toString()).toBe('k');
      }),
    );
  });

  it.each([
    ['empty', ''],
    ['unpadded', KEY.slice(0, 43)],
    ['standard alphabet', Buffer.from(KEY, 'base64url').toString('base64')],
    ['31 bytes', b64(Buffer.alloc(31, 1))],
    ['33 bytes', b64(Buffer.alloc(33, 1))],
    ['foreign character', `${KEY.slice(0, 10)}!${KEY.slice(11)}`],
    ['surrounding space', ` ${KEY}`],
    ['non-canonical last character', `${KEY.slice(0, 42)}f=`],
  ])('refuses a key that is %s', (_what, key) => {
    expectError(() => new Fernet(key), FernetKeyError);
  });

  it('refuses non-string keys and an empty key ring', () => {
    expectError(() => new Fernet(undefined as unknown as string), FernetKeyError);
    expectError(() => new MultiFernet([]), FernetKeyError);
    expectError(() => new MultiFernet('abc' as unknown as string[]), FernetKeyError);
  });
});

describe('MultiFernet', () => {
  const k1 = generateKey();
  const k2 = generateKey();
  const k3 = generateKey();

  it('encrypts with the first key and decrypts with any', () => {
    const ring = new MultiFernet([k1, k2]);
    expect(new Fernet(k1).decrypt(ring.encrypt('a')).toString()).toBe('a');
    expect(ring.decrypt(new Fernet(k2).encrypt('b')).toString()).toBe('b');
    expectError(() => ring.decrypt(new Fernet(k3).encrypt('c')), FernetSignatureError);
    expect(new MultiFernet([new Fernet(k1)]).decrypt(ring.encrypt('d')).toString()).toBe('d'); // instances too
  });

  it('rotates to the first key keeping the original timestamp and plaintext', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 500 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        (data, seconds) => {
          const old = new Fernet(k2).encrypt(Buffer.from(data), { now: new Date(seconds * 1000) });
          const rotated = new MultiFernet([k3, k2]).rotate(old);
          expect(raw(rotated).readBigUInt64BE(1)).toBe(BigInt(seconds));
          expect(new Fernet(k3).decrypt(rotated).equals(Buffer.from(data))).toBe(true);
          expectError(() => new Fernet(k2).decrypt(rotated), FernetSignatureError);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('rotates regardless of TTL but refuses tokens no key can open', () => {
    const ancient = new Fernet(k1).encrypt('old', { now: new Date(0) });
    expect(
      new MultiFernet([k2, k1]).decrypt(new MultiFernet([k2, k1]).rotate(ancient)).toString(),
    ).toBe('old');
    expectError(() => new MultiFernet([k2, k3]).rotate(ancient), FernetSignatureError);
    expectError(() => new MultiFernet([k2]).rotate('garbage'), FernetMalformedTokenError);
  });
});

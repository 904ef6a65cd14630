import { createHash } from 'node:crypto';
import { Fernet, FernetKeyError, generateKey } from './fernet';
import { KeyRing, keyIdOf } from './key-ring';
import { openEnvelope, sealEnvelope } from './secret-envelope';

describe('key ids', () => {
  it('are k_ + the first 8 hex of SHA-256 over the 32 key bytes, stable and distinct', () => {
    const key = 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=';
    const expected = createHash('sha256')
      .update(Buffer.from(key, 'base64url'))
      .digest('hex')
      .slice(0, 8);
    expect(keyIdOf(key)).toBe(`k_${expected}`);
    expect(keyIdOf(key)).toBe(keyIdOf(key));
    expect(keyIdOf(generateKey())).not.toBe(keyIdOf(generateKey()));
    expect(() => keyIdOf('nope')).toThrow(FernetKeyError);
  });
});

describe('KeyRing', () => {
  const [a, b, c] = [generateKey(), generateKey(), generateKey()];

  it('puts the primary first and finds keys by id', () => {
    const ring = new KeyRing([a, b, c]);
    expect(ring.primary.id).toBe(keyIdOf(a));
    expect(ring.entries.map((e) => e.primary)).toEqual([true, false, false]);
    expect(ring.has(keyIdOf(c))).toBe(true);
    expect(ring.has('k_00000000')).toBe(false);
    expect(ring.get(keyIdOf(b))?.fernet).toBeInstanceOf(Fernet);
    expect(ring.multi.decrypt(new Fernet(c).encrypt('x')).toString()).toBe('x');
    expect(new Fernet(a).decrypt(ring.multi.encrypt('y')).toString()).toBe('y');
  });

  it('refuses an empty ring, duplicates and malformed keys', () => {
    expect(() => new KeyRing([])).toThrow(FernetKeyError);
    expect(() => new KeyRing([a, b, a])).toThrow(/same key twice/);
    expect(() => new KeyRing([a, 'x'])).toThrow(FernetKeyError);
  });
});

describe('secret envelope', () => {
  const ctx = { id: 'i', ownerType: 'provider_token', ownerId: 'o', field: 'refresh_token' };

  it('is versioned JSON naming the row, and opens only for that row', () => {
    const sealed = sealEnvelope(ctx, 'v"\u0000ü');
    expect(JSON.parse(sealed.toString())).toEqual({ v: 1, ...ctx, value: 'v"\u0000ü' });
    expect(openEnvelope(sealed, ctx)).toEqual({ ok: true, value: 'v"\u0000ü' });
    for (const key of Object.keys(ctx) as Array<keyof typeof ctx>) {
      expect(openEnvelope(sealed, { ...ctx, [key]: 'other' })).toEqual({
        ok: false,
        reason: 'context_mismatch',
      });
    }
  });

  it.each(['', 'x', '[]', 'null', '"s"', '{"v":2,"value":"x"}', '{"v":1}', '{"v":1,"value":1}'])(
    'refuses %s as not an envelope',
    (text) => {
      expect(openEnvelope(Buffer.from(text), ctx)).toEqual({
        ok: false,
        reason: 'not_an_envelope',
      });
    },
  );
});

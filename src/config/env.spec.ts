import { configError } from '../../test/support/config-error';
import { bool, bytes, int, list, oneOf, optionalStr, optionalUrl, secret, str, url } from './env';

describe('env readers', () => {
  describe('str / optionalStr', () => {
    it('trims, falls back on unset or blank, and names a missing required variable', () => {
      expect(str({ A: '  x  ' }, 'A')).toBe('x');
      expect(str({ A: '   ' }, 'A', 'fallback')).toBe('fallback');
      expect(optionalStr({}, 'A')).toBeUndefined();
      expect(optionalStr({ A: '' }, 'A')).toBeUndefined();
      const err = configError(() => str({}, 'REQUIRED_THING'));
      expect(err.variable).toBe('REQUIRED_THING');
      expect(err.message).toBe('Invalid configuration: REQUIRED_THING is required but not set');
    });
  });

  describe('int', () => {
    it('parses integers within bounds and uses the fallback when unset', () => {
      expect(int({ N: '42' }, 'N', 1)).toBe(42);
      expect(int({ N: '-3' }, 'N', 1, -10)).toBe(-3);
      expect(int({}, 'N', 7)).toBe(7);
    });

    it.each(['abc', '4.2', '1e3', '12px'])('rejects %p naming the variable', (value) => {
      const err = configError(() => int({ PORT: value }, 'PORT', 3000));
      expect(err.variable).toBe('PORT');
      expect(err.message).toBe(`Invalid configuration: PORT must be an integer, got "${value}"`);
    });

    it('rejects values out of range', () => {
      expect(configError(() => int({ PORT: '70000' }, 'PORT', 3000, 0, 65535)).message).toBe(
        'Invalid configuration: PORT must be between 0 and 65535, got 70000',
      );
      expect(configError(() => int({ N: '0' }, 'N', 5, 1)).variable).toBe('N');
    });
  });

  describe('bool', () => {
    it.each([
      ['true', true],
      ['TRUE', true],
      ['1', true],
      ['yes', true],
      ['on', true],
      ['false', false],
      ['0', false],
      ['No', false],
      ['off', false],
    ])('reads %p as %p', (value, expected) => {
      expect(bool({ B: value }, 'B', !expected)).toBe(expected);
    });

    it('falls back when unset and rejects anything else', () => {
      expect(bool({}, 'B', true)).toBe(true);
      expect(configError(() => bool({ DOCS_ENABLED: 'maybe' }, 'DOCS_ENABLED', true)).message).toBe(
        'Invalid configuration: DOCS_ENABLED must be a boolean (true/false), got "maybe"',
      );
    });
  });

  describe('oneOf', () => {
    it('accepts listed values, defaults, and lists the allowed ones on error', () => {
      expect(oneOf({ E: 'b' }, 'E', ['a', 'b'] as const, 'a')).toBe('b');
      expect(oneOf({}, 'E', ['a', 'b'] as const, 'a')).toBe('a');
      expect(configError(() => oneOf({ E: 'c' }, 'E', ['a', 'b'] as const, 'a')).message).toBe(
        'Invalid configuration: E must be one of a, b, got "c"',
      );
    });
  });

  describe('list', () => {
    it('splits on commas, trims and drops empties', () => {
      expect(list({ L: ' a, b ,,c ' }, 'L')).toEqual(['a', 'b', 'c']);
      expect(list({}, 'L', ['x'])).toEqual(['x']);
      expect(list({}, 'L')).toEqual([]);
    });
  });

  describe('url / optionalUrl', () => {
    it('accepts URLs with an allowed scheme', () => {
      expect(url({ U: 'https://example.test/x' }, 'U', undefined, ['http', 'https'])).toBe(
        'https://example.test/x',
      );
      expect(url({}, 'U', 'http://localhost:1')).toBe('http://localhost:1');
      expect(optionalUrl({}, 'U')).toBeUndefined();
    });

    it('rejects a malformed URL without echoing it (it may hold a password)', () => {
      const err = configError(() =>
        optionalUrl({ DATABASE_URL: 'not a url:secretpw' }, 'DATABASE_URL'),
      );
      expect(err.message).toBe('Invalid configuration: DATABASE_URL must be a valid URL');
      expect(err.message).not.toContain('secretpw');
    });

    it('rejects a disallowed scheme without echoing the value', () => {
      const err = configError(() =>
        optionalUrl({ DATABASE_URL: 'mysql://u:hunter2@h/db' }, 'DATABASE_URL', [
          'postgres',
          'postgresql',
        ]),
      );
      expect(err.message).toBe(
        'Invalid configuration: DATABASE_URL must use one of the schemes postgres, postgresql',
      );
      expect(err.message).not.toContain('hunter2');
    });
  });

  describe('bytes', () => {
    it.each([
      ['100', 100],
      ['100b', 100],
      ['100kb', 102_400],
      ['2MB', 2 * 1024 * 1024],
      ['1 mb', 1024 * 1024],
    ])('reads %p as %p bytes', (value, expected) => {
      expect(bytes({ S: value }, 'S', 1)).toBe(expected);
    });

    it('falls back when unset and names the variable on garbage', () => {
      expect(bytes({}, 'S', 5)).toBe(5);
      expect(configError(() => bytes({ BODY_LIMIT: 'big' }, 'BODY_LIMIT', 1)).message).toBe(
        'Invalid configuration: BODY_LIMIT must be a size like 100kb or 1mb, got "big"',
      );
    });
  });

  describe('secret', () => {
    it('keeps the placeholder outside production so a fresh clone runs', () => {
      expect(secret({}, 'S', 'placeholder', false)).toBe('placeholder');
      expect(secret({ S: 'real' }, 'S', 'placeholder', false)).toBe('real');
    });

    it('accepts a real value in production', () => {
      expect(secret({ S: 'real-value' }, 'S', 'placeholder', true)).toBe('real-value');
    });

    it.each([
      ['unset', {}],
      ['blank', { JWT_KEY: '  ' }],
      ['the placeholder', { JWT_KEY: 'dev-placeholder' }],
    ])('refuses %s in production, naming the variable and not the value', (_case, env) => {
      const err = configError(() => secret(env, 'JWT_KEY', 'dev-placeholder', true));
      expect(err.variable).toBe('JWT_KEY');
      expect(err.message).toMatch(
        /^Invalid configuration: JWT_KEY must be set to a real secret in production/,
      );
      expect(err.message).not.toContain('dev-placeholder');
    });
  });

  it('every message is a single line', () => {
    const errors = [
      configError(() => int({ N: 'x\ny' }, 'N', 1)),
      configError(() => str({}, 'S')),
      configError(() => secret({}, 'K', 'p', true)),
    ];
    for (const err of errors) expect(err.message).not.toMatch(/\n/);
  });
});

import { AppException } from '../errors/app.exception';
import { defectException, findInputDefect, inspectInput, requireJsonBodies } from './input-guard';
import { ValidationFailedException } from './problem-details.filter';

describe('findInputDefect', () => {
  const nest = (depth: number): unknown => {
    let v: unknown = 1;
    for (let i = 0; i < depth; i++) v = { a: v };
    return v;
  };

  it('accepts ordinary bodies, primitives and well-formed astral text', () => {
    expect(
      findInputDefect({ email: 'a@b.co', list: [1, 'x', { y: null }], emoji: '\u{1F600}' }),
    ).toBeUndefined();
    expect(findInputDefect(undefined)).toBeUndefined();
    expect(findInputDefect('plain')).toBeUndefined();
    expect(findInputDefect(nest(16))).toBeUndefined();
  });

  it('bounds depth without recursion (a million levels does not overflow)', () => {
    expect(findInputDefect(nest(17))).toEqual({ kind: 'too_deep' });
    expect(findInputDefect(nest(1_000_000))).toEqual({ kind: 'too_deep' });
    expect(findInputDefect({ a: [[[1]]] }, { maxDepth: 3, maxKeys: 10 })).toEqual({
      kind: 'too_deep',
    });
  });

  it('bounds keys and array elements over all levels', () => {
    expect(findInputDefect({ a: [1, 2, 3], b: 1 }, { maxDepth: 5, maxKeys: 5 })).toBeUndefined();
    expect(findInputDefect({ a: [1, 2, 3, 4], b: 1 }, { maxDepth: 5, maxKeys: 5 })).toEqual({
      kind: 'too_many_keys',
    });
  });

  it('finds lone surrogates in values and keys, at any depth', () => {
    expect(findInputDefect({ a: { b: ['ok', 'x\uD800'] } })).toEqual({
      kind: 'malformed_unicode',
      field: 'a.b.1',
    });
    expect(findInputDefect({ a: { '\uDC00': 1 } })).toEqual({
      kind: 'malformed_unicode',
      field: 'a',
    });
    expect(findInputDefect('\uD83D')).toEqual({ kind: 'malformed_unicode', field: '' });
  });

  it('finds prototype-related keys as own properties', () => {
    expect(findInputDefect(JSON.parse('{"a":{"__proto__":{"x":1}}}'))).toEqual({
      kind: 'forbidden_key',
      field: 'a.__proto__',
    });
    expect(findInputDefect(JSON.parse('{"constructor":1}'))).toEqual({
      kind: 'forbidden_key',
      field: 'constructor',
    });
    expect(findInputDefect([{ prototype: 1 }])).toEqual({
      kind: 'forbidden_key',
      field: '0.prototype',
    });
  });
});

describe('edge middleware', () => {
  const run = (mw: (req: never, res: never, next: (e?: unknown) => void) => void, req: object) => {
    let err: unknown = 'not called';
    mw(req as never, {} as never, (e?: unknown) => (err = e));
    return err;
  };

  it('maps defects to 400 problems: too complex, malformed Unicode with the field, forbidden keys as unknown fields', () => {
    expect(defectException({ kind: 'too_deep' }, 'body')).toMatchObject({
      status: 400,
      code: 'body_too_complex',
    });
    expect(defectException({ kind: 'too_many_keys' }, 'query')).toMatchObject({
      status: 400,
      code: 'body_too_complex',
    });
    const unicode = defectException(
      { kind: 'malformed_unicode', field: 'email' },
      'body',
    ) as AppException;
    expect(unicode.extra).toEqual({
      errors: [{ field: 'email', messages: ['email must be well-formed Unicode text'] }],
    });
    const key = defectException(
      { kind: 'forbidden_key', field: 'constructor' },
      'body',
    ) as ValidationFailedException;
    expect(key.fieldErrors).toEqual([
      { field: 'constructor', messages: ['property constructor should not exist'] },
    ]);
  });

  it('inspectInput checks the body, then the query', () => {
    expect(run(inspectInput(), { body: { a: 1 }, query: {} })).toBeUndefined();
    expect(
      run(inspectInput(), { body: {}, query: JSON.parse('{"__proto__":"1"}') }),
    ).toBeInstanceOf(ValidationFailedException);
  });

  it('requireJsonBodies refuses non-JSON bodies except on form paths', () => {
    const mw = requireJsonBodies(['/sandbox/oauth/']);
    const req = (path: string, headers: Record<string, string>) => ({ path, headers });
    expect(
      run(
        mw,
        req('/api/v1/auth/login', {
          'content-length': '10',
          'content-type': 'application/json; charset=utf-8',
        }),
      ),
    ).toBeUndefined();
    expect(
      run(mw, req('/api/v1/auth/login', { 'content-length': '0', 'content-type': 'text/plain' })),
    ).toBeUndefined();
    expect(run(mw, req('/api/v1/auth/logout', {}))).toBeUndefined();
    expect(
      run(
        mw,
        req('/sandbox/oauth/token', {
          'content-length': '9',
          'content-type': 'application/x-www-form-urlencoded',
        }),
      ),
    ).toBeUndefined();
    expect(
      run(
        mw,
        req('/api/v1/auth/login', { 'transfer-encoding': 'chunked', 'content-type': 'text/plain' }),
      ),
    ).toMatchObject({ status: 415, code: 'unsupported_media_type' });
    expect(run(mw, req('/api/v1/auth/login', { 'content-length': '9' }))).toMatchObject({
      status: 415,
    });
  });
});

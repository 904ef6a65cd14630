import { redactDeep, redactUrl } from './redact';

describe('redact', () => {
  it('masks fields named like credentials at any depth', () => {
    const out = redactDeep({
      email: 'a@b.c',
      password: 'hunter22',
      nested: { refreshToken: 'r', apiKey: 'k', clientSecret: 's', list: [{ accessToken: 'x', ok: 1 }] },
      headers: { authorization: 'Bearer abc', cookie: 'sid=1' },
    });
    expect(out).toEqual({
      email: 'a@b.c',
      password: '[redacted]',
      nested: { refreshToken: '[redacted]', apiKey: '[redacted]', clientSecret: '[redacted]', list: [{ accessToken: '[redacted]', ok: 1 }] },
      headers: { authorization: '[redacted]', cookie: '[redacted]' },
    });
  });

  it('masks OAuth codes and states in query strings', () => {
    expect(redactUrl('/cb?code=abc&state=def&x=1')).toBe('/cb?code=%5Bredacted%5D&state=%5Bredacted%5D&x=1');
    expect(redactUrl('/plain')).toBe('/plain');
  });
});

import { requestMeta } from './meta.decorator';

describe('requestMeta', () => {
  it('takes ip, a capped user agent and the request id', () => {
    expect(
      requestMeta({ ip: '203.0.113.1', headers: { 'user-agent': 'x'.repeat(600) }, id: 'req-1' }),
    ).toEqual({
      ip: '203.0.113.1',
      userAgent: 'x'.repeat(512),
      requestId: 'req-1',
    });
  });

  it('uses null for whatever is missing', () => {
    expect(requestMeta({ ip: undefined, headers: {} })).toEqual({
      ip: null,
      userAgent: null,
      requestId: null,
    });
  });
});

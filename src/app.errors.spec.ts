import { DOMAIN_ERROR_HTTP, mergeErrorTables, PROBLEM_CODES } from './app.errors';
import { ProblemDetailsFilter } from './common/http/problem-details.filter';
import { AuthError, AuthErrorCode } from './modules/auth/auth.errors';
import { ConnectionsError, ConnectionsErrorCode } from './modules/connections/connections.errors';
import { ProvidersError, ProvidersErrorCode } from './modules/providers/providers.errors';
import { TokensError, TokensErrorCode } from './modules/tokens/tokens.errors';

describe('domain error → HTTP table', () => {
  const filter = new ProblemDetailsFilter(DOMAIN_ERROR_HTTP);
  const render = (e: unknown) => ({
    problem: filter.toProblem(e, 'r', '/x'),
    headers: filter.headersOf(e),
  });

  it('maps every code of every module enum', () => {
    const codes = [
      AuthErrorCode,
      ConnectionsErrorCode,
      ProvidersErrorCode,
      TokensErrorCode,
    ].flatMap((e) => Object.values(e));
    expect(codes.filter((c) => !DOMAIN_ERROR_HTTP.has(c))).toEqual([]);
    expect(PROBLEM_CODES).toEqual(
      expect.arrayContaining([...codes, 'validation_failed', 'internal_error', 'state_expired']),
    );
    expect(new Set(PROBLEM_CODES).size).toBe(PROBLEM_CODES.length);
  });

  it('renders the detail and details into the body; Retry-After comes from the details', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const { problem, headers } = render(
      TokensError.unavailable(new Date(now.getTime() + 22_500), now),
    );
    expect(problem).toEqual({
      type: 'https://dashtam.dev/problems/brokerage_unavailable',
      title: 'Service Unavailable',
      status: 503,
      detail: 'The brokerage is temporarily unavailable; the refresh will be retried.',
      instance: '/x',
      code: 'brokerage_unavailable',
      requestId: 'r',
      retryAfterSeconds: 23,
    });
    expect(headers).toEqual({ 'Retry-After': '23' });
    expect(render(new AuthError(AuthErrorCode.INVALID_CREDENTIALS))).toMatchObject({
      problem: { status: 401 },
      headers: {},
    });
    expect(render(new ConnectionsError(ConnectionsErrorCode.NOT_FOUND)).problem).toMatchObject({
      status: 404,
      detail: 'No such connection.',
    });
  });

  it('a provider vanishing under an existing connection is a conflict, creating with it a bad request', () => {
    expect(render(new ProvidersError(ProvidersErrorCode.PROVIDER_DISABLED)).problem.status).toBe(
      400,
    );
    expect(
      render(new ProvidersError(ProvidersErrorCode.PROVIDER_DISABLED, { existingConnection: true }))
        .problem.status,
    ).toBe(409);
  });

  it('an unmapped domain error is a bare 500; one code mapped two ways is refused', () => {
    const filterWithout = new ProblemDetailsFilter();
    expect(
      filterWithout.toProblem(new AuthError(AuthErrorCode.UNAUTHORIZED), 'r', '/').status,
    ).toBe(500);
    expect(filterWithout.headersOf(new AuthError(AuthErrorCode.UNAUTHORIZED))).toEqual({});
    expect(() => mergeErrorTables({ a: { status: 400 } }, { a: { status: 409 } })).toThrow(
      'error code a is mapped twice',
    );
    expect(mergeErrorTables({ a: { status: 404 } }, { a: { status: 404 } }).get('a')).toEqual({
      status: 404,
    });
  });
});

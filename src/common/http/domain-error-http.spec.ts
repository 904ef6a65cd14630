import { DomainError } from '../errors/domain.error';
import { domainErrorHttp } from './domain-error-http';
import { ProblemDetailsFilter } from './problem-details.filter';

class TestError extends DomainError {}

describe('domain errors over HTTP', () => {
  it('maps a known code to its status, retryAfterSeconds to Retry-After, and details into the problem', () => {
    const err = new TestError('sync_too_soon', 'Later.', { retryAfterSeconds: 42 });
    expect(domainErrorHttp(err)).toEqual({ status: 429, headers: { 'Retry-After': '42' } });
    expect(new ProblemDetailsFilter().toProblem(err, 'rid', '/x')).toMatchObject({
      status: 429,
      code: 'sync_too_soon',
      detail: 'Later.',
      retryAfterSeconds: 42,
    });
  });

  it('an unmapped code is a bare 500 that says nothing', () => {
    const problem = new ProblemDetailsFilter().toProblem(
      new TestError('mystery', 'internal detail'),
      'rid',
      '/x',
    );
    expect(problem).toMatchObject({ status: 500, code: 'internal_error' });
    expect(JSON.stringify(problem)).not.toContain('internal detail');
  });
});

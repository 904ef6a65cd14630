import { DOMAIN_ERROR_HTTP } from '../../src/app.errors';
import { ProblemDetailsFilter } from '../../src/common/http/problem-details.filter';

const filter = new ProblemDetailsFilter(DOMAIN_ERROR_HTTP);

/** What a client would see of an error: the problem's status and code, and the response headers. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;

  constructor(err: unknown) {
    const problem = filter.toProblem(err, 'test', '/');
    super(`${problem.status} ${problem.code}`);
    this.status = problem.status;
    this.code = problem.code;
    this.headers = filter.headersOf(err);
  }
}

/** Services throw domain errors without HTTP; this rejects with the status and headers the filter maps them to. */
export function asHttp<T>(promise: Promise<T>): Promise<T> {
  return promise.catch((err: unknown) => {
    throw new HttpError(err);
  });
}

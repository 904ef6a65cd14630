/** Codes raised at the HTTP edge (guards, pipes, controllers, the problem filter), not by a domain service. */
export enum EdgeErrorCode {
  BAD_REQUEST = 'bad_request',
  CONFLICT = 'conflict',
  DATABASE_UNAVAILABLE = 'database_unavailable',
  EMAIL_NOT_VERIFIED = 'email_not_verified',
  FORBIDDEN = 'forbidden',
  INTERNAL_ERROR = 'internal_error',
  INVALID_INPUT = 'invalid_input',
  MALFORMED_JSON = 'malformed_json',
  NOT_FOUND = 'not_found',
  PAYLOAD_TOO_LARGE = 'payload_too_large',
  RATE_LIMITER_UNAVAILABLE = 'rate_limiter_unavailable',
  TOO_MANY_REQUESTS = 'too_many_requests',
  UNAUTHORIZED = 'unauthorized',
  VALIDATION_FAILED = 'validation_failed',
}

import { HttpStatus } from '@nestjs/common';

/**
 * The one error vocabulary: modules throw AppException with a stable machine code; the global
 * ProblemDetailsFilter maps it to RFC 9457 problem+json. `detail` is shown to clients, so it must never
 * contain a secret or an internal message.
 */
export class AppException extends Error {
  constructor(
    readonly status: HttpStatus,
    readonly code: string,
    readonly detail: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(`${code}: ${detail}`);
    this.name = 'AppException';
  }
}

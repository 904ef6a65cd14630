import { HttpStatus } from '@nestjs/common';

// Rendered as RFC 9457 problem+json: `detail` reaches clients: no secrets, no internals.
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

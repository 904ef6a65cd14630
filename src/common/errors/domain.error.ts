/**
 * A failure a domain service reports without choosing an HTTP status: a stable code from its module's enum and
 * details (e.g. `retryAfterSeconds`). The problem+json filter maps codes to statuses and headers in one place.
 */
export abstract class DomainError<C extends string = string> extends Error {
  constructor(
    readonly code: C,
    /** Shown to clients: never a secret or an internal message. */
    readonly detail: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(`${code}: ${detail}`);
    this.name = new.target.name;
  }
}

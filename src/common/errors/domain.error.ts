/**
 * What a domain service throws: a stable code from its module's enum, a client-safe `detail` and `details`
 * (rendered into the problem body, e.g. `retryAfterSeconds`). No HTTP status: the problem+json filter maps
 * codes to statuses and headers (src/app.errors.ts). `context` steers that mapping and is never rendered.
 */
export abstract class DomainError<C extends string = string> extends Error {
  protected constructor(
    readonly code: C,
    readonly detail: string,
    readonly details: Record<string, unknown> = {},
    readonly context: Record<string, unknown> = {},
  ) {
    super(`${code}: ${detail}`);
    this.name = new.target.name;
  }
}

/** How one code reaches the client: its status and the headers derived from the error. */
export interface ErrorHttpMapping {
  status: number | ((error: DomainError) => number);
  headers?: (error: DomainError) => Record<string, string>;
}

export type ErrorHttpTable<C extends string> = Record<C, ErrorHttpMapping>;

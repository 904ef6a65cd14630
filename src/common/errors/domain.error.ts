// No HTTP status: the problem+json filter maps codes to statuses and headers (src/app.errors.ts). `details` are
// rendered into the problem body; `context` steers the mapping and is never rendered.
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

export interface ErrorHttpMapping {
  status: number | ((error: DomainError) => number);
  headers?: (error: DomainError) => Record<string, string>;
}

export type ErrorHttpTable<C extends string> = Record<C, ErrorHttpMapping>;

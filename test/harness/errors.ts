/** Every loud failure of the harness is a HarnessError, so a test author knows it is the harness talking. */
export class HarnessError extends Error {
  constructor(message: string) {
    super(`[test harness] ${message}`);
    this.name = 'HarnessError';
  }
}

/** The first application frame (outside the harness, src/database, TypeORM and Node): "what waited" in timeout messages. */
export function callerFrame(stack?: string): string {
  if (stack === undefined) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 40;
    stack = new Error().stack ?? '';
    Error.stackTraceLimit = limit;
  }
  const frames = stack
    .split('\n')
    .slice(1)
    .map((l) => l.trim());
  return frames.find((f) => !FOREIGN.test(f)) ?? frames[0] ?? '<unknown>';
}

/** Frames of the harness, src/database (Transactions.run), Node and TypeORM (whose source maps point at its own src/ folders). */
const FOREIGN =
  /\/test\/harness\/[a-z-]+\.ts|\/src\/database\/|node_modules|node:|\/src\/(entity-manager|data-source|query-builder|persistence|repository|driver|query-runner)\//;

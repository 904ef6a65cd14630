/** Every loud failure of the harness is a HarnessError, so a test author knows it is the harness talking. */
export class HarnessError extends Error {
  constructor(message: string) {
    super(`[test harness] ${message}`);
    this.name = 'HarnessError';
  }
}

/** The first application frame (outside the harness, src/database, TypeORM and Node): "what waited" in timeout messages. */
function callerFrame(stack: string): string {
  const frames = stack
    .split('\n')
    .slice(1)
    .map((l) => l.trim());
  return frames.find((f) => !FOREIGN.test(f)) ?? frames[0] ?? '<unknown>';
}

/**
 * The caller's frame, captured now and formatted only if a message needs it: formatting maps every frame through
 * Jest's source maps (~0.2 s of each worker's CPU when done for every app transaction).
 */
export function captureCaller(): () => string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  const site = new Error();
  Error.stackTraceLimit = limit;
  return () => callerFrame(site.stack ?? '');
}

/** Frames of the harness, src/database (Transactions.run), Node and TypeORM (whose source maps point at its own src/ folders). */
const FOREIGN =
  /\/test\/harness\/[a-z-]+\.ts|\/src\/database\/|node_modules|node:|\/src\/(entity-manager|data-source|query-builder|persistence|repository|driver|query-runner)\//;

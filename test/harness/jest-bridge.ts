import type { Circus } from '@jest/types';
import type { HarnessBridge } from './environment';
import { HarnessError } from './errors';
import type { IsolatedConnection } from './isolated-connection';

const bridge = () => (globalThis as { __harness?: HarnessBridge }).__harness;

const isTest = (key: unknown): key is Circus.TestEntry =>
  (key as { type?: string } | undefined)?.type === 'test';

function within(block: Circus.DescribeBlock | undefined, root: object): boolean {
  for (let b = block; b; b = b.parent) if (b === root) return true;
  return false;
}

export function testName(test: Circus.TestEntry): string {
  const names = [test.name];
  for (let b: Circus.DescribeBlock | undefined = test.parent; b?.parent; b = b.parent)
    names.unshift(b.name);
  return names.join(' ');
}

/**
 * Drives an isolated connection from Jest's own events (the harness environment forwards them and awaits
 * the answer): a savepoint per describe block below `root` and per test, each rolled back when Jest says the
 * block or test finished, after all of its hooks, wherever they were declared. Problems go to the test that
 * caused them (even after it finished: Jest builds the file's results at the end) or else to the file.
 * `closeFile` runs when `root` finishes, after its afterAll hooks.
 */
export function driveFromJest(conn: IsolatedConnection, closeFile: () => Promise<void>): void {
  const b = bridge();
  const root = b?.origin.getStore() as Circus.DescribeBlock | undefined;
  if (!b || !root) {
    throw new HarnessError(
      'useTestApp()/useTestModule() need the harness test environment (testEnvironment: test/harness/environment.ts)',
    );
  }
  let state: Circus.State | undefined;
  const testStarted = new Map<object, { at: number; log: number }>();
  let testMs = 0;
  conn.onProblem = ({ key, error }) => {
    const test = isTest(key) ? key : (state?.currentlyRunningTest ?? undefined);
    if (test) test.errors.push([error, error]);
    else state?.unhandledErrors.push([error, error]);
  };
  conn.beginScope(root, 'describe', root.name);
  const listener = async (event: Circus.AsyncEvent, st: Circus.State): Promise<void> => {
    state = st;
    switch (event.name) {
      case 'run_describe_start':
        if (event.describeBlock !== root && within(event.describeBlock, root))
          conn.beginScope(event.describeBlock, 'describe', event.describeBlock.name);
        return;
      case 'test_start':
        // test.concurrent is refused by the environment before its function runs: no scope to open.
        if (!within(event.test.parent, root) || event.test.concurrent) return;
        testStarted.set(event.test, { at: performance.now(), log: conn.log.position });
        conn.beginScope(event.test, 'test', testName(event.test));
        return;
      case 'test_done':
      case 'test_skip':
      case 'test_todo': {
        const started = testStarted.get(event.test);
        if (!started) return;
        testStarted.delete(event.test);
        const problem = await conn.endScope(event.test);
        if (problem) event.test.errors.push([problem, problem]);
        testMs += performance.now() - started.at;
        if (event.test.errors.length) {
          const trace = conn.log.since(started.log);
          if (trace)
            event.test.errors.push([
              new HarnessError(
                `the last SQL statements of this test (savepoint depth, sender):\n${trace}`,
              ),
              undefined,
            ]);
        }
        return;
      }
      case 'run_describe_finish': {
        if (event.describeBlock !== root) {
          if (!within(event.describeBlock, root)) return;
          const problem = await conn.endScope(event.describeBlock);
          if (problem) st.unhandledErrors.push([problem, problem]);
          return;
        }
        b.listeners.delete(listener);
        try {
          const problem = await conn.endScope(root);
          if (problem) st.unhandledErrors.push([problem, problem]);
        } finally {
          if (conn.log.timing)
            process.stderr.write(
              `${conn.log.summary(expect.getState().testPath ?? 'this file', testMs)}\n`,
            );
          await closeFile();
        }
      }
    }
  };
  b.listeners.add(listener);
}

import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');

/**
 * These processes live about a second: V8's optimising WebAssembly tier would spend more CPU compiling embedded
 * PGlite (the migration CLI's database) than it could ever save. Baseline (Liftoff) code only: measured 1.05 s →
 * 0.6 s CPU per `migrate status`. No effect on what the process does.
 */
export const NODE_FLAGS = ['--liftoff-only'];

/**
 * What a spawned entry point gets of this process's environment: what Node needs to run, and Node's own
 * compile cache (V8 code for the modules it loads, shared by every process of every run: ~20 % of start-up).
 */
export function childEnv(env: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    NODE_COMPILE_CACHE: join(ROOT, 'node_modules', '.cache', 'node-compile-cache'),
    ...env,
  };
}

export interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a TypeScript entry point of the repository as its own process (through scripts/register-ts.cjs, as the
 * npm scripts do) with a clean environment: `childEnv(env)`. Killed after `timeoutMs` so a
 * process that should have exited but started serving fails the test instead of hanging it. `cwd` is where
 * the process looks for `.env` (default: the repository root, which has none).
 */
export function runTs(
  entry: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs: number,
  cwd = ROOT,
): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...NODE_FLAGS, '-r', join(ROOT, 'scripts', 'register-ts.cjs'), join(ROOT, entry), ...args],
      {
        cwd,
        env: childEnv(env),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const guard = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
  });
}

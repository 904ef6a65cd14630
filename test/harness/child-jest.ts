import { execFile } from 'node:child_process';
import { join } from 'node:path';
import rootConfig from '../../jest.config';

const ROOT = join(__dirname, '..', '..');

/**
 * One project of jest.config.ts (its transform, environment, setup) on other files, as its own Jest process, in
 * band: for self-tests of behaviour that only exists across Jest's lifecycle or across test files. No global
 * setup or teardown: the parent run's databases and environment variables are already in place.
 */
export function runChildJest(
  project: string,
  testMatch: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ failed: boolean; stderr: string }> {
  const projects = rootConfig.projects as Array<Record<string, unknown>>;
  const {
    displayName: _,
    globalSetup: _s,
    globalTeardown: _t,
    ...config
  } = projects.find((p) => p.displayName === project)!;
  const child = JSON.stringify({ ...config, rootDir: ROOT, testMatch: [`<rootDir>/${testMatch}`] });
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [
        '--experimental-vm-modules',
        join(ROOT, 'node_modules/jest/bin/jest.js'),
        '--config',
        child,
        '--runInBand',
        '--ci',
        ...args,
      ],
      { cwd: ROOT, env, timeout: 120_000 },
      (err, _stdout, stderr) => resolve({ failed: err !== null, stderr }),
    );
  });
}

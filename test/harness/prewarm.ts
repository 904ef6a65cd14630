import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Config } from '@jest/types';
import { globsToMatcher } from 'jest-util';
import { swcOptions } from '../../jest.config';

const ROOT = join(__dirname, '..', '..');

const sources = (dir: string) =>
  readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(ROOT, dir, f));

function thread(data: object): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(join(__dirname, 'prewarm-worker.cjs'), { workerData: data });
    worker.once('message', () => resolve());
    worker.once('error', reject);
    worker.once('exit', (code) => (code ? reject(new Error(`prewarm exited ${code}`)) : resolve()));
  });
}

/**
 * On a fresh checkout both Jest workers transformed and instrumented the same app at once, and the first processes
 * the specs start transpiled it again (measured: a cold run ~8 s slower than a warm one). Global setup fills both
 * caches first, in three threads; with warm caches this is one hash per file (~0.1 s). A file it gets wrong is
 * only a miss: the worker or process transforms it as before.
 */
export async function prewarmTransforms(globalConfig: Config.GlobalConfig): Promise<void> {
  const all = [...sources('src'), ...sources('test'), ...sources('migrations')];
  // Jest's own test (@jest/transform shouldInstrument) for this suite's config.
  const covered = globsToMatcher(globalConfig.collectCoverageFrom);
  const files = all.map((filename) => ({
    filename,
    instrument: globalConfig.collectCoverage && covered(relative(ROOT, filename)),
  }));
  const shared = { swcOptions, rootDir: ROOT };
  const forProcesses = all
    .filter((f) => !f.endsWith('.spec.ts') && !relative(ROOT, f).startsWith('test'))
    .map((filename) => ({ filename }));
  await Promise.all([
    thread({ ...shared, kind: 'jest', files: files.filter((_, i) => i % 2 === 0) }),
    thread({ ...shared, kind: 'jest', files: files.filter((_, i) => i % 2 === 1) }),
    thread({ kind: 'register-ts', files: forProcesses }),
  ]);
}

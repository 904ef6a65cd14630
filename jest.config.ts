import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Config } from 'jest';

/**
 * Three tiers as Jest projects (plus the harness self-tests and the migration gates):
 *   unit         src/**\/*.spec.ts             no database
 *   harness      test/harness/**\/*.spec.ts    self-tests of the isolation harness
 *   integration  test/integration/**\/*.spec.ts services and repositories on the harness
 *   e2e          test/e2e/**\/*.spec.ts         HTTP through supertest on the harness
 *   migrations   test/migrations/**\/*.spec.ts  schema gates on a throwaway database (never in the harness)
 * Database projects share one global setup/teardown (test/harness/global-setup.ts).
 */
// SWC (through test/harness/transform.cjs, which also instruments for coverage once for all projects) transpiles
// each file on its own (type errors are `npm run typecheck`'s job) and emits decorator metadata
// from the type annotations, as Nest's injection needs. Its `typeof X === "undefined" ? Object : X` guards have no
// source mapping, so Istanbul drops them: per-file branch totals are identical to ts-jest with full type info
// (1144 branches, checked file by file when this replaced ts-jest; ~3x faster).
// Its options are scripts/swc-options.json, which scripts/register-ts.cjs uses too: the TypeScript compiles the
// same in Jest and in the processes the specs spawn.
const transform: Config['transform'] = {
  '^.+\\.ts$': '<rootDir>/test/harness/transform.cjs',
};

// Nest requires rxjs's CommonJS build: 226 files, loaded again by every test file. The bundle the same release
// ships is the same code (measured ~40 ms of every database file). Not done for class-validator: its bundle
// embeds its own copy of validator, which may differ from the version production loads.
const moduleNameMapper = {
  '^rxjs(/operators)?$': '<rootDir>/node_modules/rxjs/dist/bundles/rxjs.umd.js',
};

const base = {
  // One id for all projects: Jest keys its transform cache directory (and resolver and haste map, the same for all
  // five here) by it, so a fresh checkout fills one transform cache instead of one per project.
  id: 'dashtam',
  rootDir: '.',
  // Next to the harness's own caches, so CI keeps them all with one path (.github/workflows/ci.yml).
  cacheDirectory: '<rootDir>/node_modules/.cache/jest',
  moduleNameMapper,
  testEnvironment: '<rootDir>/test/harness/shared-realm-environment.ts',
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform,
  runtime: '<rootDir>/test/harness/code-cache-runtime.cjs',
};

const database = {
  ...base,
  testEnvironment: '<rootDir>/test/harness/environment.ts',
  globalSetup: '<rootDir>/test/harness/global-setup.ts',
  globalTeardown: '<rootDir>/test/harness/global-teardown.ts',
  setupFiles: ['<rootDir>/test/support/cheap-primitives.ts'],
  setupFilesAfterEnv: ['<rootDir>/test/harness/setup-after-env.ts'],
};

// Whether a PostgreSQL server will serve the tests (else they fall back to embedded PGlite).
const serverAvailable = Boolean(
  process.env.TEST_DATABASE_URL || process.env.DOCKER_HOST || existsSync('/var/run/docker.sock'),
);

const COVERAGE_GATES: Config['coverageThreshold'] = {
  global: { statements: 85, branches: 85, functions: 85, lines: 85 },
  // The critical modules: accounts, brokerage tokens and the cryptography that protects them.
  './src/modules/auth/': { statements: 95, branches: 95, functions: 95, lines: 95 },
  './src/modules/encryption/': { statements: 95, branches: 95, functions: 95, lines: 95 },
  './src/modules/tokens/': { statements: 95, branches: 95, functions: 95, lines: 95 },
};

// `npm test -- <path>` (or -t, --selectProjects, --shard, --watch …) runs a slice of the suite: coverage and its
// gates are about the whole suite, so a slice runs without them (instrumenting and reporting every source file
// would double a one-file run) unless `--coverage` asks, and then reports without gating.
const SLICING =
  /^-(t|-testNamePattern|-selectProjects|-ignoreProjects|-shard|-testPathPatterns|-onlyChanged|o|-findRelatedTests|-changedSince|-watch|-watchAll)(=|$)/;
const wholeSuite = !process.argv.slice(2).some((arg) => !arg.startsWith('-') || SLICING.test(arg));

const config: Config = {
  // One worker per core, at least two: Jest's default (cores − 1) leaves one of two cores to a parent that is
  // idle. More than two on two cores measured no faster (docs/testing.md, seventh pass). On a server each
  // worker gets its own clone of the template; on PGlite each keeps its own copies (test/harness/pglite-pool.ts).
  // At most 8: the most the suite has been run with (12 connections to the server at peak).
  maxWorkers: Math.min(8, Math.max(2, availableParallelism())),
  // Jest force-kills a worker that has not exited 500 ms after the run and blames leaked handles. Ours hold
  // none then (process.getActiveResourcesInfo() dumped at that point: stdio only), but a loaded machine took up to
  // ~300 ms to let one go; a real leak still shows after 2 s.
  workerGracefulExitTimeout: 2000,
  testSequencer: '<rootDir>/test/harness/sequencer.cjs',
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    { ...database, displayName: 'harness', testMatch: ['<rootDir>/test/harness/**/*.spec.ts'] },
    {
      ...database,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.spec.ts'],
    },
    { ...database, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.spec.ts'] },
    {
      ...database,
      displayName: 'migrations',
      testMatch: ['<rootDir>/test/migrations/**/*.spec.ts'],
    },
  ],
  // Barrel files (index.ts) only re-export: their generated getters are not code anyone could test.
  collectCoverageFrom: [
    'src/**/*.ts',
    '!src/**/*.spec.ts',
    '!src/**/index.ts',
    '!src/main.ts',
    '!src/cli.ts',
    '!src/openapi.ts',
    '!src/database/migrate.ts',
    '!src/database/migration-commands.ts', // as migrate.ts: run only as a process (test/migrations/migrate-cli)
  ],
  collectCoverage: wholeSuite,
  coverageDirectory: 'coverage',
  coverageReporters: ['text-summary', 'lcov', 'json-summary'],
  // Enforced where the whole suite runs; on the PGlite fallback the real-commit specs are skipped, so the
  // figures are reported but not gated.
  coverageThreshold: serverAvailable && wholeSuite ? COVERAGE_GATES : undefined,
};

export default config;

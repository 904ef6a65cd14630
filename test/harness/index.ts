/**
 * The test author's entry point. See docs/testing.md.
 *  - useTestApp(opts)        e2e: the real AppModule over HTTP (supertest), database swapped, per-test rollback
 *  - useTestModule(opts)     integration: a module slice on the same isolated database
 *  - describeRealCommit()    true concurrency on a fresh database clone with real commits
 *  - CapturingAfterCommit    observe / hold after-commit work
 */
export { CapturingAfterCommit } from './after-commit';
export { HarnessError } from './errors';
export { describeRealCommit, useRealCommitDatabase } from './real-commit';
export type { RealCommitApp, RealCommitDatabase } from './real-commit';
export { buildTestingModule, startApp, useTestApp, useTestModule } from './test-app';
export type {
  Override,
  TestAppContext,
  TestAppOptions,
  TestContext,
  TestModuleOptions,
  TestOptions,
} from './test-app';
export { testServer } from './test-env';

import { LegacyFakeTimers, ModernFakeTimers } from '@jest/fake-timers';
import { TestEnvironment } from 'jest-environment-node';
import { ModuleMocker } from 'jest-mock';

type Realm = Pick<InstanceType<typeof TestEnvironment>, 'context' | 'global'>;
let realm: Realm | undefined;

// What Jest's framework (circus, expect) keeps on the global for one file: dropped before the next file.
const FRAMEWORK_STATE =
  /^(\$\$jest|JEST_|EVENT_HANDLERS|RETRY_|WAIT_BEFORE_RETRY|TEST_TIMEOUT_SYMBOL|LOG_ERRORS_BEFORE_RETRY)/;

// As jest-environment-node's legacy timers.
const idToRef = (id: number) => ({
  id,
  ref() {
    return this;
  },
  unref() {
    return this;
  },
});
const refToId = (ref?: { id: number }) => ref?.id;

// Libraries' decorator registries, on the global and keyed by class. With the app's modules per file
// (DASHTAM_TEST_ISOLATE=app) each file's classes are new, so its entries are of no use to later files, and TypeORM
// scans its registry linearly on every DataSource build (~20 ms a file by the end of a worker's run).
const PER_CLASS_REGISTRIES = ['typeormMetadataArgsStorage', 'classValidatorMetadataStorage'];

/**
 * Jest's node environment with one realm (vm context) for all test files of a worker, so that third-party modules
 * are evaluated once per worker (code-cache-runtime.cjs shares them per realm). Per file, as Jest gives it: the
 * test framework's state, `process.env` (reset to the worker's), coverage counters, mocks (restored at the end
 * of the file) and fake timers. What a test sets on `globalThis` itself stays for the worker's later files.
 * DASHTAM_TEST_ISOLATE=1 gives every file its own realm again (and so its own third-party modules).
 */
export default class SharedRealmEnvironment extends TestEnvironment {
  constructor(...args: ConstructorParameters<typeof TestEnvironment>) {
    super(...args);
    if (process.env.DASHTAM_TEST_ISOLATE === '1') return;
    if (!realm) realm = { context: this.context, global: this.global };
    this.context = realm.context;
    this.global = realm.global;
    const global = this.global as unknown as Record<string | symbol, unknown>;
    for (const key of Object.getOwnPropertySymbols(global)) {
      if (FRAMEWORK_STATE.test(key.description ?? '')) delete global[key];
    }
    // With the app's modules shared, so are their coverage counters (code-cache-runtime.cjs) and decorator entries.
    if (process.env.DASHTAM_TEST_ISOLATE === 'app') {
      delete global.__coverage__;
      for (const name of PER_CLASS_REGISTRIES) delete global[name];
    }
    const env = this.global.process.env;
    for (const key of Object.keys(env)) if (!(key in process.env)) delete env[key];
    Object.assign(env, process.env);
    const [{ projectConfig }] = args;
    this.moduleMocker = new ModuleMocker(this.global as never);
    this.fakeTimers = new LegacyFakeTimers({
      config: projectConfig,
      global: this.global as never,
      moduleMocker: this.moduleMocker,
      timerConfig: { idToRef, refToId },
    });
    this.fakeTimersModern = new ModernFakeTimers({
      config: projectConfig,
      global: this.global as never,
    });
  }

  override async teardown(): Promise<void> {
    if (process.env.DASHTAM_TEST_ISOLATE === '1') return super.teardown();
    // The realm outlives the file: only what belongs to the file is disposed.
    this.fakeTimers?.dispose();
    this.fakeTimersModern?.dispose();
    this.fakeTimers = null;
    this.fakeTimersModern = null;
  }
}

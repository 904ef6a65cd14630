import type { Circus } from '@jest/types';
import { TestEnvironment } from 'jest-environment-node';

/**
 * The Node environment plus one fact for the harness: which hook (if any) is running. Queries between tests
 * are legitimate inside a hook (a later describe's beforeAll seeding shared fixtures, an afterEach cleaning
 * up) and a bug anywhere else (work a finished test did not await).
 */
export default class HarnessEnvironment extends TestEnvironment {
  handleTestEvent(event: Circus.Event): void {
    if (event.name === 'hook_start') this.global.__harnessHook = event.hook.type;
    else if (event.name === 'hook_success' || event.name === 'hook_failure') this.global.__harnessHook = undefined;
  }
}

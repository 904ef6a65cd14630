import { ConfigError } from '../../src/config/env';

/** Runs `fn` and returns the ConfigError it throws (fails the test when it throws anything else or nothing). */
export function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

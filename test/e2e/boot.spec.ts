import { Exit, runTs } from '../support/run-ts';

/**
 * The real entry point (src/main.ts) started as a process: a bad variable must stop it with exit code ≠ 0 and
 * exactly one stderr line naming the variable — no stack trace, no value that could be a secret.
 */

// No .env is read (none in the repository root); LOG_LEVEL keeps a process that did start quiet.
const boot = (env: Record<string, string>): Promise<Exit> =>
  runTs('src/main.ts', [], { LOG_LEVEL: 'silent', ...env }, 45_000);

describe('boot with bad configuration (src/main.ts as a process)', () => {
  it.each([
    ['PORT', { PORT: 'abc' }, 'Invalid configuration: PORT must be an integer, got "abc"'],
    [
      'DATABASE_URL',
      { DATABASE_URL: 'notaurl' },
      'Invalid configuration: DATABASE_URL must be a valid URL',
    ],
    [
      'NODE_ENV',
      { NODE_ENV: 'staging' },
      'Invalid configuration: NODE_ENV must be one of development, production, test, got "staging"',
    ],
  ])(
    '%s: exits non-zero with one line naming it',
    async (_name, env, line) => {
      const result = await boot(env);
      expect(result.code).not.toBe(0);
      expect(result.code).not.toBeNull();
      expect(result.stderr).toBe(`${line}\n`);
      expect(result.stdout).toBe('');
    },
    60_000,
  );

  it('refuses placeholder secrets in production with one line, naming the variable only', async () => {
    const result = await boot({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://u:pw-not-echoed@127.0.0.1:1/x',
    });
    expect(result.code).not.toBe(0);
    const lines = result.stderr.split('\n').filter((l) => l.length > 0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^Invalid configuration: [A-Z][A-Z0-9_]+ must be set to a real secret in production/,
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stderr).not.toContain('pw-not-echoed');
  }, 60_000);
});

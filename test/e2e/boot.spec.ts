import { spawn } from 'node:child_process';
import { join } from 'node:path';

/**
 * The real entry point (src/main.ts) started as a process: a bad variable must stop it with exit code ≠ 0 and
 * exactly one stderr line naming the variable — no stack trace, no value that could be a secret.
 */
const ROOT = join(__dirname, '..', '..');

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

function boot(env: Record<string, string>): Promise<Exit> {
  // A clean environment: only what Node needs plus the variables under test (no .env is read: none in cwd/test).
  const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'silent' };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', join(ROOT, 'scripts', 'register-ts.cjs'), join(ROOT, 'src', 'main.ts')], {
      cwd: ROOT,
      env: { ...base, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // A misconfigured process must exit by itself; if it started serving instead, stop it and fail below.
    const guard = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
  });
}

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

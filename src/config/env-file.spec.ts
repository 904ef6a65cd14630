import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configError } from '../../test/support/config-error';
import { loadEnvFile } from './env-file';

describe('loadEnvFile', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'dashtam-env-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('adds the variables of the file; the environment wins over it', () => {
    const file = join(dir, '.env');
    writeFileSync(
      file,
      '# comment\nPORT=4100\nCORS_ORIGINS="https://a.test,https://b.test"\nHOST=10.0.0.1\n',
    );
    const env: Record<string, string | undefined> = { HOST: '127.0.0.1' };
    expect(loadEnvFile(file, env)).toBe(file);
    expect(env).toEqual({
      PORT: '4100',
      CORS_ORIGINS: 'https://a.test,https://b.test',
      HOST: '127.0.0.1',
    });
  });

  it('is a no-op without a file', () => {
    const env = {};
    expect(loadEnvFile(join(dir, '.env'), env)).toBeUndefined();
    expect(env).toEqual({});
  });

  it('an unreadable file is one configuration line', () => {
    // A directory where the file should be: EISDIR, reproducible without changing permissions.
    const err = configError(() => loadEnvFile(dir, {}));
    expect(err.message).toBe(`Invalid configuration: ${dir} could not be read (EISDIR)`);
  });
});

import { join } from 'node:path';
import { ROOT, runTs } from '../../support/run-ts';

/** LOG_PRETTY=true where pino-pretty is not installed (a production install) is one configuration line, not a crash. */
describe('LOG_PRETTY without pino-pretty (src/main.ts as a process)', () => {
  it('exits 1 with the one-line configuration error', async () => {
    const r = await runTs(
      'src/main.ts',
      [],
      {
        NODE_OPTIONS: `--require ${join(ROOT, 'test', 'support', 'without-pino-pretty.cjs')}`,
        LOG_PRETTY: 'true',
      },
      60_000,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'Invalid configuration: LOG_PRETTY is true but pino-pretty is not installed (production installs omit dev dependencies): unset it or set LOG_PRETTY=false\n',
    );
    expect(r.stdout).toBe('');
  }, 90_000);
});

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runChildJest } from './child-jest';

/**
 * The files of a worker share one realm, its third-party modules and the app's (shared-realm-environment.ts,
 * code-cache-runtime.cjs), and nothing else: two fixture files in one child Jest each record what the other left.
 */
interface Probe {
  file: string;
  pgSeen: boolean;
  pgSame: boolean;
  clockSeen: boolean;
  clockSame: boolean;
  probeSame: boolean;
  env: string | null;
  spied: boolean;
  retries: number | null;
}

async function run(env: NodeJS.ProcessEnv): Promise<Probe[]> {
  const dir = mkdtempSync(join(tmpdir(), 'dashtam-realm-'));
  const out = join(dir, 'probes.jsonl');
  try {
    const child = await runChildJest(
      'unit',
      'test/harness/fixtures/shared-realm/*.fixture.ts',
      ['--coverage=false'],
      { ...process.env, ...env, REALM_PROBE_OUT: out },
    );
    if (child.failed) throw new Error(child.stderr);
    return readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Probe);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const untouched = { env: null, spied: false, retries: null };

it('shares third-party and app modules between the files of a worker, not test modules, env, spies or Jest state', async () => {
  const [first, second] = await run({ DASHTAM_TEST_ISOLATE: '' });
  expect(first).toMatchObject({ pgSeen: false, clockSeen: false, ...untouched });
  expect(second).toMatchObject({ pgSeen: true, pgSame: true, clockSeen: true, clockSame: true });
  expect(second).toMatchObject({ probeSame: false, ...untouched });
}, 90_000);

it('DASHTAM_TEST_ISOLATE=app keeps the app modules per file', async () => {
  const [, second] = await run({ DASHTAM_TEST_ISOLATE: 'app' });
  expect(second).toMatchObject({
    pgSame: true,
    clockSeen: true,
    clockSame: false,
    probeSame: false,
  });
  expect(second).toMatchObject(untouched);
}, 90_000);

it('DASHTAM_TEST_ISOLATE=1 gives each file its own realm and modules', async () => {
  const probes = await run({ DASHTAM_TEST_ISOLATE: '1' });
  expect(probes).toHaveLength(2);
  for (const p of probes)
    expect(p).toMatchObject({ pgSeen: false, clockSeen: false, ...untouched });
}, 90_000);

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

// Cheap file checks that fail when the repository's operating contract (Node range, scripts, CI, image) drifts.
// semver and yaml come with the toolchain (npm, eslint, jest depend on them); semver ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const semver = require('semver') as {
  satisfies(version: string, range: string): boolean;
  subset(sub: string, sup: string): boolean;
};

const ROOT = join(__dirname, '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const pkg = JSON.parse(read('package.json')) as {
  engines: { node: string };
  scripts: Record<string, string>;
};
const lock = JSON.parse(read('package-lock.json')) as {
  packages: Record<string, { engines?: { node?: string } | string[]; dev?: boolean }>;
};

describe('Node version', () => {
  const range = pkg.engines.node;

  it('accepts only what every installed package accepts (the range is no wider than the dependencies)', () => {
    const offenders = Object.entries(lock.packages)
      .filter(
        ([path, p]) => path !== '' && p.engines && !Array.isArray(p.engines) && p.engines.node,
      )
      .filter(([, p]) => !semver.subset(range, (p.engines as { node: string }).node))
      .map(
        ([path, p]) =>
          `${path.replace(/.*node_modules\//, '')} ${(p.engines as { node: string }).node}`,
      );
    expect(offenders).toEqual([]);
  });

  it.each([
    ['20.19.0', false],
    ['22.22.3', false],
    ['24.0.0', false],
    ['24.14.0', false],
    ['24.15.0', true],
    ['24.21.0', true],
    ['25.0.0', false],
    ['26.0.0', true],
    ['27.0.0', false], // oauth2-mock-server (dev) declares ^26 at most
  ])('Node %s allowed: %p', (version, allowed) => {
    expect(semver.satisfies(version, range)).toBe(allowed);
  });

  it('is enforced at install (engine-strict) and .nvmrc is inside the range', () => {
    expect(read('.npmrc')).toMatch(/^engine-strict=true$/m);
    expect(semver.satisfies(`${read('.nvmrc').trim()}.99.0`, range)).toBe(true);
    expect(read('README.md')).toContain(range);
  });
});

describe('npm scripts', () => {
  it('has the Nest starter developer loop', () => {
    expect(pkg.scripts['start:debug']).toBe('nest start --debug --watch');
    expect(pkg.scripts['test:watch']).toMatch(/jest\.js --watch$/);
    expect(pkg.scripts['test:debug']).toMatch(
      /--inspect-brk node_modules\/jest\/bin\/jest\.js --runInBand/,
    );
  });

  it('lint includes the Prettier check', () => {
    expect(pkg.scripts['format:check']).toMatch(/^prettier --check /);
    expect(pkg.scripts.lint).toMatch(/&& npm run format:check$/);
  });
});

describe('CI', () => {
  const workflows = readdirSync(join(ROOT, '.github', 'workflows')).map((f) =>
    read(`.github/workflows/${f}`),
  );
  const steps = workflows.flatMap((text) => {
    const wf = parse(text) as {
      jobs: Record<string, { steps: Array<{ uses?: string; run?: string }> }>;
    };
    return Object.values(wf.jobs).flatMap((job) => job.steps);
  });

  // The first majors that run on the Actions Node 24 runtime (the v4 ones run on Node 20).
  const NODE24_MAJOR: Record<string, number> = {
    'actions/checkout': 5,
    'actions/setup-node': 5,
    'actions/upload-artifact': 6,
    'actions/download-artifact': 5,
    'actions/cache': 5,
  };

  it('uses action majors that run on Node 24', () => {
    const used = steps.filter((s) => s.uses).map((s) => s.uses!);
    expect(used.length).toBeGreaterThan(0);
    for (const ref of used) {
      const [name, version] = ref.split('@');
      expect(NODE24_MAJOR).toHaveProperty([name]);
      expect({ ref, major: Number(/^v(\d+)/.exec(version)?.[1]) }).toEqual({
        ref,
        major: expect.any(Number),
      });
      expect(Number(/^v(\d+)/.exec(version)![1])).toBeGreaterThanOrEqual(NODE24_MAJOR[name]);
    }
  });

  it('audits production dependencies, lints with Prettier, and runs the compiled entry points', () => {
    const runs = steps.map((s) => s.run ?? '').join('\n');
    expect(runs).toContain('npm audit --omit=dev --audit-level=high');
    expect(runs).toContain('npm run lint');
    expect(runs).toContain('node dist/src/cli.js help');
    expect(runs).toContain('node dist/src/database/migrate.js status');
  });

  it('has Dependabot for npm and for the actions', () => {
    expect(existsSync(join(ROOT, '.github', 'dependabot.yml'))).toBe(true);
    const config = parse(read('.github/dependabot.yml')) as {
      updates: Array<{ 'package-ecosystem': string }>;
    };
    expect(config.updates.map((u) => u['package-ecosystem']).sort()).toEqual([
      'github-actions',
      'npm',
    ]);
  });
});

describe('Docker image', () => {
  it('documents the compiled CLI and migration entry points (the image has no npm scripts)', () => {
    const dockerfile = read('docker/Dockerfile');
    expect(dockerfile).toContain('node dist/src/cli.js');
    expect(dockerfile).toContain('node dist/src/database/migrate.js');
    expect(dockerfile).toMatch(/COPY package\.json package-lock\.json \.npmrc/);
  });
});

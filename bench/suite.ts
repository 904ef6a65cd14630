/**
 * The whole test suite, run N times from this checkout exactly as `npm test` runs it (coverage and gates on).
 * Prints wall time per run and the median, CPU time of the run (Linux: the children's user+sys, a figure that
 * other load on a shared machine inflates less than wall time), tests per tier, the 10 slowest files with their
 * setup time (module loading, beforeAll/afterAll, everything outside test bodies) against their test bodies,
 * and the number of failed runs.
 * Usage: node -r ./scripts/register-ts.cjs bench/suite.ts [--runs 3] [--repeat 10] [--cold] [-- <jest args>]
 *   --runs N    runs to time (default 3); --repeat N is the same with the failure count as the point
 *   --cold      delete node_modules/.cache (Jest's and the harness's caches) before every run: a fresh clone
 *   --vs-isolated [1|app]  interleave each run with one under DASHTAM_TEST_ISOLATE=1 (a realm and modules per
 *               file, Jest's default) or =app (the app's modules per file), and print both side by side with ratios
 *   --vs-dir D  the same against the checkout in D (e.g. a `git worktree` of an earlier commit, after `npm ci`)
 * The database comes from the environment as for `npm test` (TEST_DATABASE_URL, else the embedded fallback).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..');
const JEST = [
  '--experimental-vm-modules',
  join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'),
  '--coverage',
];

interface FileResult {
  name: string;
  startTime: number;
  endTime: number;
  status: string;
  assertionResults: { status: string; duration?: number | null }[];
}
interface JestJson {
  success: boolean;
  numTotalTests: number;
  numFailedTests: number;
  testResults: FileResult[];
}
interface Run {
  wallS: number;
  cpuS?: number;
  exitCode: number | null;
  json?: JestJson;
  tail: string;
}

interface Baseline {
  label: string;
  env?: NodeJS.ProcessEnv;
  cwd: string;
}

function parseArgs(argv: string[]) {
  const sep = argv.indexOf('--');
  const own = sep >= 0 ? argv.slice(0, sep) : argv;
  const raw = (flag: string) => {
    const i = own.indexOf(flag);
    return i >= 0 ? own[i + 1] : undefined;
  };
  const value = (flag: string) => (own.includes(flag) ? Number(raw(flag)) : undefined);
  let baseline: Baseline | undefined;
  if (own.includes('--vs-isolated')) {
    const mode = raw('--vs-isolated') === 'app' ? 'app' : '1';
    baseline = {
      label: `DASHTAM_TEST_ISOLATE=${mode}`,
      env: { ...process.env, DASHTAM_TEST_ISOLATE: mode },
      cwd: ROOT,
    };
  }
  const dir = raw('--vs-dir');
  if (dir) baseline = { label: `checkout ${dir}`, cwd: dir };
  const runs = value('--repeat') ?? value('--runs') ?? 3;
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error('--runs/--repeat needs a positive integer');
  return {
    runs,
    cold: own.includes('--cold'),
    baseline,
    jestArgs: sep >= 0 ? argv.slice(sep + 1) : [],
  };
}

/** User+sys seconds of waited-for children (fields 16-17 of /proc/self/stat), or undefined off Linux. */
function childrenCpuS(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the ")": field 3 is index 0, so cutime (16) and cstime (17) are indexes 13 and 14; clock ticks of 1/100 s.
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return undefined;
  }
}

function run(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  cwd = ROOT,
): Promise<{ code: number | null; tail: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let tail = '';
    const keep = (d: Buffer) => (tail = (tail + d.toString()).slice(-4000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, tail }));
  });
}

async function timedRun(
  cold: boolean,
  jestArgs: string[],
  out: string,
  env?: NodeJS.ProcessEnv,
  cwd = ROOT,
): Promise<Run> {
  // Jest's cache and the harness's (transforms, V8 code cache, register-ts, PGlite initdb) all live here.
  if (cold) rmSync(join(cwd, 'node_modules', '.cache'), { recursive: true, force: true });
  const cpu0 = childrenCpuS();
  const t0 = process.hrtime.bigint();
  const jest = [JEST[0], join(cwd, 'node_modules', 'jest', 'bin', 'jest.js'), ...JEST.slice(2)];
  const { code, tail } = await run(
    [...jest, '--json', `--outputFile=${out}`, ...jestArgs],
    env,
    cwd,
  );
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu1 = childrenCpuS();
  let json: JestJson | undefined;
  try {
    json = JSON.parse(readFileSync(out, 'utf8')) as JestJson;
  } catch {
    // No report (Jest crashed before writing it): the run counts as failed, its output tail is printed.
  }
  return {
    wallS,
    cpuS: cpu0 === undefined || cpu1 === undefined ? undefined : cpu1 - cpu0,
    exitCode: code,
    json,
    tail,
  };
}

const TIERS: [string, RegExp][] = [
  ['unit', /^src\//],
  ['harness', /^test\/harness\//],
  ['integration', /^test\/integration\//],
  ['e2e', /^test\/e2e\//],
  ['migrations', /^test\/migrations\//],
];
const tierOf = (file: string) => TIERS.find(([, re]) => re.test(file))?.[0] ?? 'other';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (x: number | undefined, d = 1) => (x === undefined ? '—' : x.toFixed(d));

function report(runs: Run[], cold: boolean): void {
  const ok = runs.filter((r) => r.exitCode === 0 && r.json?.success);
  console.log(
    `\nSuite: ${runs.length} run(s) of \`npm test\`${cold ? ' (node_modules/.cache deleted before each)' : ''}, ` +
      `${cpus().length} cores, load average at start ${loadavg()[0].toFixed(2)}, ${process.env.TEST_DATABASE_URL ? 'PostgreSQL (TEST_DATABASE_URL)' : 'no TEST_DATABASE_URL (embedded fallback unless Docker)'}`,
  );
  console.log('| run | wall s | CPU s | tests | failed tests | exit |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
  runs.forEach((r, i) =>
    console.log(
      `| ${i + 1} | ${fmt(r.wallS)} | ${fmt(r.cpuS)} | ${r.json?.numTotalTests ?? '—'} | ${r.json?.numFailedTests ?? '—'} | ${r.exitCode} |`,
    ),
  );
  const cpu = runs.map((r) => r.cpuS).filter((x): x is number => x !== undefined);
  console.log(
    `| median | ${fmt(median(runs.map((r) => r.wallS)))} | ${cpu.length ? fmt(median(cpu)) : '—'} | | | |`,
  );
  console.log(`\nFailed runs: ${runs.length - ok.length} of ${runs.length}`);
  for (const [i, r] of runs.entries()) {
    if (!ok.includes(r))
      console.log(`\n--- run ${i + 1} (exit ${r.exitCode}), last output:\n${r.tail}`);
  }

  const last = runs[runs.length - 1].json;
  if (!last) return;
  const files = last.testResults.map((f) => {
    const body = f.assertionResults.reduce((s, t) => s + (t.duration ?? 0), 0) / 1000;
    const wall = (f.endTime - f.startTime) / 1000;
    return {
      file: relative(ROOT, f.name),
      tier: tierOf(relative(ROOT, f.name)),
      wall,
      body,
      setup: Math.max(0, wall - body),
      tests: f.assertionResults.length,
    };
  });
  console.log('\nTests per tier (last run)');
  console.log('| tier | files | tests | file time s | of it test bodies s |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const [tier] of [...TIERS, ['other']]) {
    const of = files.filter((f) => f.tier === tier);
    if (!of.length) continue;
    const sum = (k: 'wall' | 'body' | 'tests') => of.reduce((s, f) => s + f[k], 0);
    console.log(
      `| ${tier} | ${of.length} | ${sum('tests')} | ${fmt(sum('wall'))} | ${fmt(sum('body'))} |`,
    );
  }
  console.log('\n10 slowest files (last run; setup = file time outside test bodies)');
  console.log('| file | tests | file s | setup s | bodies s |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const f of [...files].sort((a, b) => b.wall - a.wall).slice(0, 10)) {
    console.log(`| ${f.file} | ${f.tests} | ${fmt(f.wall)} | ${fmt(f.setup)} | ${fmt(f.body)} |`);
  }
}

function compare(shared: Run[], isolated: Run[], baseline: Baseline): void {
  const row = (name: string, rs: Run[]) => {
    const cpu = rs.map((r) => r.cpuS).filter((x): x is number => x !== undefined);
    const failed = rs.filter((r) => r.exitCode !== 0).length;
    return {
      name,
      wall: median(rs.map((r) => r.wallS)),
      cpu: cpu.length ? median(cpu) : NaN,
      failed,
    };
  };
  const a = row('this checkout', shared);
  const b = row(baseline.label, isolated);
  console.log(`\nSide by side, interleaved (${shared.length} run(s) each)`);
  console.log('| mode | wall median s | CPU median s | failed runs |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const r of [a, b])
    console.log(`| ${r.name} | ${fmt(r.wall)} | ${fmt(r.cpu)} | ${r.failed} of ${shared.length} |`);
  console.log(`| this / baseline | ${fmt(a.wall / b.wall, 2)} | ${fmt(a.cpu / b.cpu, 2)} | |`);
}

async function main(): Promise<void> {
  const { runs, cold, baseline, jestArgs } = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'dashtam-bench-suite-'));
  const results: Run[] = [];
  const isolated: Run[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      // Alternating which goes first, so neither mode always runs on the warmer machine.
      for (const mode of baseline && i % 2 ? ['baseline', 'this'] : ['this', 'baseline']) {
        if (mode === 'baseline' && !baseline) continue;
        const b = mode === 'baseline' ? baseline : undefined;
        const out = join(dir, `run-${i}-${mode}.json`);
        const r = await timedRun(cold, jestArgs, out, b?.env, b?.cwd);
        (b ? isolated : results).push(r);
        const label = baseline ? ` (${b ? baseline.label : 'this checkout'})` : '';
        process.stderr.write(
          `run ${i + 1}/${runs}${label}: ${r.wallS.toFixed(1)} s, exit ${r.exitCode}\n`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  report(results, cold);
  if (baseline) compare(results, isolated, baseline);
  if ([...results, ...isolated].some((r) => r.exitCode !== 0)) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});

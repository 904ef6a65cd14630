/**
 * Reads a V8 .cpuprofile (from `node --cpu-prof` or `bench/http-providers.ts --profile`) and prints where the
 * self time goes: the top functions, and the same time summed per package (node_modules/<name>, node internals,
 * the project's own files).
 *
 *   node -r ./scripts/register-ts.cjs bench/cpuprofile-top.ts <file.cpuprofile> [--top 40]
 */
import { readFileSync } from 'node:fs';
import { numberArg } from './measure';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function packageOf(url: string): string {
  if (!url) return '(native / vm)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  return url.includes('/src/') ? 'app src/' : url.includes('/bench/') ? 'bench/' : url;
}

const file = process.argv[2];
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + profile.timeDeltas[i]));
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const fns = new Map<string, number>();
// Inclusive: a sample counts once for every distinct function on its stack.
const inclusive = new Map<string, number>();
const label = (n: ProfileNode): string => {
  const { functionName, url, lineNumber } = n.callFrame;
  const where = url
    ? `${url.replace(/^.*node_modules\//, '').replace(/^.*\/(src|bench)\//, '$1/')}:${lineNumber + 1}`
    : '';
  return `${functionName || '(anonymous)'} ${where}`;
};
const pkgs = new Map<string, number>();
for (const [id, us] of selfUs) {
  const key = label(byId.get(id)!);
  fns.set(key, (fns.get(key) ?? 0) + us);
  const seen = new Set<string>();
  for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
    const l = label(byId.get(n)!);
    if (!seen.has(l)) inclusive.set(l, (inclusive.get(l) ?? 0) + us);
    seen.add(l);
  }
  const pkg = packageOf(byId.get(id)!.callFrame.url);
  pkgs.set(pkg, (pkgs.get(pkg) ?? 0) + us);
}
const pct = (us: number): string => `${((us / total) * 100).toFixed(1).padStart(5)} %`;
const top = (m: Map<string, number>, n: number): string[] =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, us]) => `${pct(us)}  ${k}`);
process.stdout.write(
  [
    `${file}: ${(total / 1e6).toFixed(2)} s sampled`,
    '',
    'self time by package:',
    ...top(pkgs, 25),
    '',
    'self time by function:',
    ...top(fns, numberArg('top', 40)),
    '',
    'inclusive time by function (self + callees):',
    ...top(inclusive, numberArg('top', 40)),
    '',
  ].join('\n'),
);

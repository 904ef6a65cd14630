import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** CPU seconds (user + system) a process has used, from /proc (Linux); NaN elsewhere. */
export function cpuSeconds(pid: number | undefined): number {
  try {
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th, in clock ticks.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/**
 * CPU seconds of the whole PostgreSQL server: every live postgres process plus what the postmaster has reaped
 * from exited backends. Includes other clients' work on the same server.
 */
export function postgresCpuSeconds(): number {
  let total = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) continue;
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += Number(f[11]) + Number(f[12]);
      if (f[1] === '1') total += Number(f[13]) + Number(f[14]); // the postmaster: reaped children too
    } catch {
      // exited meanwhile
    }
  }
  return total / CLOCK_TICKS;
}

/** Median across rounds: one round disturbed by other work on the machine does not move the result. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** `--name <number>` from the command line, or the fallback. */
export function numberArg(name: string, fallback: number): number {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

/** A throwaway database per benchmark process, next to ADMIN_DATABASE_URL's. */
export function benchDatabase(prefix: string): { adminUrl: string; dbName: string; dbUrl: string } {
  const adminUrl = process.env.ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const dbName = `dashtam_bench_${prefix}_${process.pid}`;
  const u = new URL(adminUrl);
  u.pathname = `/${dbName}`;
  return { adminUrl, dbName, dbUrl: u.toString() };
}

/**
 * Starts `count` copies of `script --worker`, waits until each prints `@@ready`, releases them together with a
 * `go` line and resolves with what each prints after `@@result ` (JSON). Log lines may share stdout, so only
 * marked lines count.
 */
export async function runWorkers<R>(
  count: number,
  script: string,
  env: NodeJS.ProcessEnv,
  label: string,
): Promise<R[]> {
  const children = Array.from({ length: count }, () =>
    spawn(process.execPath, ['-r', `${__dirname}/../scripts/register-ts.cjs`, script, '--worker'], {
      env,
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  );
  const channels = children.map((c) => {
    const waiting = new Map<string, (rest: string) => void>();
    createInterface({ input: c.stdout }).on('line', (line) => {
      for (const [marker, resolve] of waiting)
        if (line.startsWith(marker)) resolve(line.slice(marker.length));
    });
    return (marker: string) =>
      new Promise<string>((resolve, reject) => {
        waiting.set(marker, resolve);
        c.once('exit', (code) => reject(new Error(`${label} exited with ${code}`)));
      });
  });
  await Promise.all(channels.map((wait) => wait('@@ready')));
  const results = channels.map((wait) => wait('@@result ').then((j) => JSON.parse(j) as R));
  for (const c of children) c.stdin.write('go\n');
  const out = await Promise.all(results);
  await Promise.all(
    children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))),
  );
  return out;
}

/**
 * The statements of the test connection, for diagnostics: the last ones of a failing test with their
 * savepoint depth, every one on stderr with HARNESS_DEBUG=1, and the time the harness's own round trips took
 * (the per-file summary, HARNESS_DEBUG=1 or HARNESS_TIMING=1).
 */
export interface LoggedStatement {
  seq: number;
  by: 'app' | 'harness';
  sql: string;
  depth: number;
}

const KEEP = 50;

export class StatementLog {
  private readonly entries: LoggedStatement[] = [];
  private seq = 0;
  harnessMs = 0;
  harnessStatements = 0;
  appStatements = 0;
  debug = process.env.HARNESS_DEBUG === '1';
  timing = this.debug || process.env.HARNESS_TIMING === '1';

  get position(): number {
    return this.seq;
  }

  app(sql: string, depth: number): void {
    this.appStatements += 1;
    this.add('app', sql, depth);
  }

  harness(sql: string, depth: number, ms: number): void {
    this.harnessMs += ms;
    this.harnessStatements += 1;
    this.add('harness', sql, depth);
  }

  /** The statements logged since `position` (at most the last `limit`), one a line. */
  since(position: number, limit = 15): string {
    const list = this.entries.filter((e) => e.seq > position).slice(-limit);
    return list
      .map((e) => `  #${e.seq} depth ${e.depth} ${e.by.padEnd(7)} ${oneLine(e.sql)}`)
      .join('\n');
  }

  summary(file: string, testMs: number): string {
    return (
      `[test harness] ${file}: isolation ${this.harnessMs.toFixed(1)} ms in ${this.harnessStatements} harness round trip(s) ` +
      `for ${this.appStatements} app statement(s); tests ${testMs.toFixed(1)} ms`
    );
  }

  private add(by: LoggedStatement['by'], sql: string, depth: number): void {
    const entry = { seq: ++this.seq, by, sql, depth };
    this.entries.push(entry);
    if (this.entries.length > KEEP) this.entries.shift();
    if (this.debug)
      process.stderr.write(`[harness sql] #${entry.seq} depth ${depth} ${by} ${oneLine(sql)}\n`);
  }
}

const oneLine = (sql: string) => {
  const s = sql.replace(/\s+/g, ' ').trim();
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
};

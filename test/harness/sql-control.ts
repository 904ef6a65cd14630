/**
 * Recognises transaction-control SQL sent as text (`BEGIN`, `COMMIT`, `SAVEPOINT x`...), which on the single
 * test connection would commit or end the test's outer transaction.
 */
export type Control =
  | { kind: 'begin'; isolation?: string }
  | { kind: 'commit' }
  | { kind: 'rollback' }
  | { kind: 'savepoint' | 'release' | 'rollback-to'; name: string }
  | { kind: 'unsupported'; statement: string };

// Cheap pre-check: almost every statement contains none of these words, and is never split.
const MAYBE_CONTROL = /\b(begin|start|commit|end|rollback|abort|savepoint|release|prepare)\b/i;

/** Top-level statements of a SQL string: quotes, dollar quotes and comments respected. */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    const next = sql[i + 1];
    if (c === "'" || c === '"') {
      i = sql.indexOf(c, i + 1);
      // a doubled quote inside a literal just restarts the search at the second one
      i = i < 0 ? sql.length : i + 1;
    } else if (c === '-' && next === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl + 1;
    } else if (c === '/' && next === '*') {
      const close = sql.indexOf('*/', i + 2);
      i = close < 0 ? sql.length : close + 2;
    } else if (c === '$') {
      const tag = /^\$[A-Za-z_]*\$/.exec(sql.slice(i))?.[0];
      if (tag) {
        const close = sql.indexOf(tag, i + tag.length);
        i = close < 0 ? sql.length : close + tag.length;
      } else i += 1;
    } else if (c === ';') {
      out.push(sql.slice(start, i));
      start = i = i + 1;
    } else i += 1;
  }
  out.push(sql.slice(start));
  return out.map(stripLeading).filter((s) => s.length > 0);
}

function stripLeading(statement: string): string {
  let s = statement.trim();
  for (;;) {
    if (s.startsWith('--'))
      s = s.slice(s.indexOf('\n') < 0 ? s.length : s.indexOf('\n') + 1).trim();
    else if (s.startsWith('/*'))
      s = s.slice(s.indexOf('*/') < 0 ? s.length : s.indexOf('*/') + 2).trim();
    else return s;
  }
}

const ident = (raw: string) => (raw.startsWith('"') ? raw.slice(1, -1) : raw.toLowerCase());

function classify(statement: string): Control | undefined {
  const s = statement.replace(/\s+/g, ' ').trim();
  const u = s.toUpperCase();
  const name = '("[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)';
  let m: RegExpExecArray | null;
  if (/^(BEGIN|START TRANSACTION)\b/.test(u)) {
    const iso =
      /ISOLATION LEVEL (SERIALIZABLE|REPEATABLE READ|READ COMMITTED|READ UNCOMMITTED)/.exec(u);
    return { kind: 'begin', isolation: iso?.[1] };
  }
  if (
    /^(COMMIT|ROLLBACK) PREPARED\b|^PREPARE TRANSACTION\b|^(COMMIT|END|ROLLBACK|ABORT)( WORK| TRANSACTION)? AND CHAIN\b/.test(
      u,
    )
  ) {
    return { kind: 'unsupported', statement: s };
  }
  if ((m = new RegExp(`^ROLLBACK(?: WORK| TRANSACTION)? TO(?: SAVEPOINT)? ${name}`, 'i').exec(s)))
    return { kind: 'rollback-to', name: ident(m[1]) };
  if (/^(COMMIT|END)\b/.test(u)) return { kind: 'commit' };
  if (/^(ROLLBACK|ABORT)\b/.test(u)) return { kind: 'rollback' };
  if ((m = new RegExp(`^SAVEPOINT ${name}`, 'i').exec(s)))
    return { kind: 'savepoint', name: ident(m[1]) };
  if ((m = new RegExp(`^RELEASE(?: SAVEPOINT)? ${name}`, 'i').exec(s)))
    return { kind: 'release', name: ident(m[1]) };
  return undefined;
}

/** The transaction control in `sql`, if any. Control inside a multi-statement string is never translatable. */
export function transactionControl(sql: string): Control | undefined {
  if (!MAYBE_CONTROL.test(sql)) return undefined;
  const statements = splitStatements(sql);
  const found = statements.map((s) => ({ s, c: classify(s) })).filter((x) => x.c);
  if (!found.length) return undefined;
  if (statements.length > 1) return { kind: 'unsupported', statement: found[0].s };
  return found[0].c;
}

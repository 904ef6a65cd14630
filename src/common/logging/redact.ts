/** Field names that may carry a credential: password, token, secret, key (and auth headers, cookies, codes). */
const SENSITIVE = /pass(word)?|token|secret|key|authorization|cookie|^code$|^state$|code_?verifier/i;
const CENSOR = '[redacted]';

/** Copies `value`, replacing every field whose name looks sensitive. Used by the log formatter. */
export function redactDeep(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SENSITIVE.test(k) && v !== undefined ? CENSOR : redactDeep(v, depth + 1);
  }
  return out;
}

/** Query parameters with sensitive names are masked so OAuth codes and states never reach a log line. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  for (const name of [...params.keys()]) if (SENSITIVE.test(name)) params.set(name, CENSOR);
  return `${url.slice(0, q)}?${params.toString()}`;
}

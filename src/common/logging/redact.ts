/**
 * What never reaches a log line. Request lines carry no headers and no body at all (the serializers in
 * pino-options.ts whitelist their fields). For what the application logs itself:
 *   - pino's own `redact` censors these names at the top level of a line (compiled paths: ~free per line);
 *   - `maskNested` (pino's `formatters.log`) censors them deeper, up to MASK_DEPTH levels, copying only the
 *     branches that hold one. It skips the keys the serializers own (req, res, err), so a request line costs a
 *     couple of property reads — not a walk of the IncomingMessage/ServerResponse graph.
 * Measured per request (bench/http-providers.ts, docs/benchmarks.md): pino `redact` with wildcard paths for the
 * same depth (`*.password`, `*.*.password`, …) costs 25–70 µs of CPU, the nested mask under 1 µs.
 */
export const SENSITIVE_FIELDS = [
  'password',
  'currentPassword',
  'newPassword',
  'passwordHash',
  'token',
  'accessToken',
  'refreshToken',
  'idToken',
  'access_token',
  'refresh_token',
  'id_token',
  'secret',
  'clientSecret',
  'client_secret',
  'apiKey',
  'key',
  'keys',
  'privateKey',
  'authorization',
  'cookie',
  'set-cookie',
  'code',
  'state',
  'codeVerifier',
  'code_verifier',
] as const;

export const MASK_DEPTH = 5;
export const CENSOR = '[redacted]';

const SENSITIVE = new Set<string>(SENSITIVE_FIELDS);
/** Keys whose values the serializers already reduce to safe fields. */
const SERIALIZED = new Set(['req', 'res', 'err']);

/** pino `redact` paths: every sensitive name at the top level of a line (bracket notation for `set-cookie`). */
export function redactPaths(): string[] {
  return SENSITIVE_FIELDS.map((name) => (/^[A-Za-z_$][\w$]*$/.test(name) ? name : `["${name}"]`));
}

function isPlain(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null || Array.isArray(value);
}

/** Returns `value` itself when nothing below it is sensitive, else a copy with those fields censored. */
function mask(value: unknown, depth: number): unknown {
  if (depth >= MASK_DEPTH || !isPlain(value)) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    value.forEach((v, i) => {
      const m = mask(v, depth + 1);
      if (m !== v) (out ??= [...value])[i] = m;
    });
    return out ?? value;
  }
  let out: Record<string, unknown> | undefined;
  for (const k in value) {
    const v = value[k];
    const m = SENSITIVE.has(k) && v !== undefined ? CENSOR : mask(v, depth + 1);
    if (m !== v) (out ??= { ...value })[k] = m;
  }
  return out ?? value;
}

/** pino `formatters.log`: nested sensitive fields of application objects; top-level ones are `redact`'s. */
export function maskNested(obj: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const k in obj) {
    if (SERIALIZED.has(k)) continue;
    const v = obj[k];
    const m = mask(v, 1);
    if (m !== v) (out ??= { ...obj })[k] = m;
  }
  return out ?? obj;
}

const SENSITIVE_QUERY = /pass(word)?|token|secret|key|^code$|^state$|code_?verifier/i;

/** Query parameters with sensitive names are masked so OAuth codes and states never reach a log line. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  for (const name of [...params.keys()]) if (SENSITIVE_QUERY.test(name)) params.set(name, CENSOR);
  return `${url.slice(0, q)}?${params.toString()}`;
}

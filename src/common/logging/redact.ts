// pino `redact` covers the top level only: wildcard paths for deeper levels cost 25–70 µs/request,
// `maskNested` under 1 µs (docs/benchmarks.md). Request lines are whitelisted by the serializers.
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
// Already reduced by the serializers: skipping them avoids walking IncomingMessage/ServerResponse.
const SERIALIZED = new Set(['req', 'res', 'err']);

export function redactPaths(): string[] {
  return SENSITIVE_FIELDS.map((name) => (/^[A-Za-z_$][\w$]*$/.test(name) ? name : `["${name}"]`));
}

function isPlain(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null || Array.isArray(value);
}

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

export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  for (const name of [...params.keys()]) if (SENSITIVE_QUERY.test(name)) params.set(name, CENSOR);
  return `${url.slice(0, q)}?${params.toString()}`;
}

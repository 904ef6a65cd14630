/**
 * What never reaches a log line. Request lines carry no headers and no body at all (see the serializers in
 * pino-options.ts); for everything else pino's own `redact` censors these field names, up to REDACT_DEPTH
 * levels deep. Paths are compiled once at start, so the cost per line is a few property reads, not a copy.
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

export const REDACT_DEPTH = 4;
export const CENSOR = '[redacted]';

/** `password`, `*.password`, `*.*.password`, … for every sensitive name (bracket notation for `set-cookie`). */
export function redactPaths(depth = REDACT_DEPTH): string[] {
  const paths: string[] = [];
  for (let level = 0; level < depth; level++) {
    const prefix = '*.'.repeat(level);
    for (const name of SENSITIVE_FIELDS) {
      paths.push(/^[A-Za-z_$][\w$]*$/.test(name) ? `${prefix}${name}` : `${prefix}["${name}"]`);
    }
  }
  return paths;
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

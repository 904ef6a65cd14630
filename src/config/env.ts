// Every failure is a one-line ConfigError naming the variable: boot prints it, no stack trace.
export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    // An echoed value may hold a newline.
    super(`Invalid configuration: ${variable} ${problem.replace(/[\r\n]+/g, ' ')}`);
    this.name = 'ConfigError';
  }
}

function raw(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

export function str(env: Env, name: string, fallback?: string): string {
  const value = raw(env, name) ?? fallback;
  if (value === undefined) throw new ConfigError(name, 'is required but not set');
  return value;
}

export function optionalStr(env: Env, name: string): string | undefined {
  return raw(env, name);
}

export function int(
  env: Env,
  name: string,
  fallback: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (!/^-?\d+$/.test(value)) throw new ConfigError(name, `must be an integer, got "${value}"`);
  const n = Number(value);
  if (n < min || n > max)
    throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

export function bool(env: Env, name: string, fallback: boolean): boolean {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new ConfigError(name, `must be a boolean (true/false), got "${value}"`);
}

export function oneOf<T extends string>(
  env: Env,
  name: string,
  allowed: readonly T[],
  fallback: T,
): T {
  const value = raw(env, name) ?? fallback;
  if (!allowed.includes(value as T)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${value}"`);
  }
  return value as T;
}

export function list(env: Env, name: string, fallback: string[] = []): string[] {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

// Never echoes the value: it may hold a password.
export function url(env: Env, name: string, fallback?: string, protocols?: string[]): string {
  const value = str(env, name, fallback);
  return checkUrl(name, value, protocols);
}

export function optionalUrl(env: Env, name: string, protocols?: string[]): string | undefined {
  const value = raw(env, name);
  return value === undefined ? undefined : checkUrl(name, value, protocols);
}

function checkUrl(name: string, value: string, protocols?: string[]): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(name, 'must be a valid URL');
  }
  if (protocols && !protocols.includes(parsed.protocol.replace(/:$/, ''))) {
    throw new ConfigError(name, `must use one of the schemes ${protocols.join(', ')}`);
  }
  return value;
}

export function bytes(env: Env, name: string, fallback: number): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  const m = /^(\d+)\s*(b|kb|mb)?$/i.exec(value);
  if (!m) throw new ConfigError(name, `must be a size like 100kb or 1mb, got "${value}"`);
  const unit = (m[2] ?? 'b').toLowerCase();
  return Number(m[1]) * (unit === 'mb' ? 1024 * 1024 : unit === 'kb' ? 1024 : 1);
}

export function secret(env: Env, name: string, placeholder: string, production: boolean): string {
  const value = raw(env, name);
  if (production && (value === undefined || value === placeholder)) {
    throw new ConfigError(
      name,
      'must be set to a real secret in production (placeholder or empty refused)',
    );
  }
  return value ?? placeholder;
}

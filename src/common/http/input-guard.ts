import type { NextFunction, Request, Response } from 'express';
import { AppException } from '../errors/app.exception';
import { EdgeErrorCode } from '../errors/edge-error-code';
import { ValidationFailedException } from './problem-details.filter';

export interface InputLimits {
  // The DTOs need 3 levels; keys count object keys and array elements over all levels.
  maxDepth: number;
  maxKeys: number;
}

export const DEFAULT_INPUT_LIMITS: InputLimits = { maxDepth: 16, maxKeys: 1000 };

// With the u flag a valid pair is one code point, so only a lone surrogate matches (isWellFormed is ES2024).
const LONE_SURROGATE = /\p{Cs}/u;
const wellFormed = (s: string) => !LONE_SURROGATE.test(s);

// Keys class-transformer drops silently instead of reporting them as unknown: refused like any unknown field.
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export type InputDefect =
  | { kind: 'too_deep' }
  | { kind: 'too_many_keys' }
  | { kind: 'malformed_unicode'; field: string }
  | { kind: 'forbidden_key'; field: string };

// Iterative, so a deep body cannot overflow this stack either; a lone surrogate makes validators throw URIError.
export function findInputDefect(
  value: unknown,
  limits: InputLimits = DEFAULT_INPUT_LIMITS,
): InputDefect | undefined {
  const stack: Array<{ value: unknown; depth: number; path: string }> = [
    { value, depth: 0, path: '' },
  ];
  let keys = 0;
  while (stack.length) {
    const { value: v, depth, path } = stack.pop()!;
    if (typeof v === 'string') {
      if (!wellFormed(v)) return { kind: 'malformed_unicode', field: path };
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= limits.maxDepth) return { kind: 'too_deep' };
    const entries: Array<[string, unknown]> = Array.isArray(v)
      ? v.map((item, i) => [String(i), item])
      : Object.keys(v).map((k) => [k, (v as Record<string, unknown>)[k]]);
    keys += entries.length;
    if (keys > limits.maxKeys) return { kind: 'too_many_keys' };
    for (const [k, item] of entries) {
      const field = path ? `${path}.${k}` : k;
      if (!Array.isArray(v)) {
        if (!wellFormed(k)) return { kind: 'malformed_unicode', field: path };
        if (FORBIDDEN_KEYS.has(k)) return { kind: 'forbidden_key', field };
      }
      stack.push({ value: item, depth: depth + 1, path: field });
    }
  }
  return undefined;
}

export function defectException(defect: InputDefect, where: 'body' | 'query'): Error {
  switch (defect.kind) {
    case 'too_deep':
      return new AppException(
        400,
        EdgeErrorCode.BODY_TOO_COMPLEX,
        `The request ${where} is nested too deeply.`,
      );
    case 'too_many_keys':
      return new AppException(
        400,
        EdgeErrorCode.BODY_TOO_COMPLEX,
        `The request ${where} has too many fields.`,
      );
    case 'malformed_unicode':
      return new AppException(
        400,
        EdgeErrorCode.MALFORMED_UNICODE,
        `The request ${where} contains malformed Unicode (a lone surrogate).`,
        {
          errors: [
            {
              field: defect.field,
              messages: [`${defect.field || where} must be well-formed Unicode text`],
            },
          ],
        },
      );
    case 'forbidden_key':
      // Same shape and wording as the ValidationPipe's refusal of any other unknown field.
      return new ValidationFailedException([
        { field: defect.field, messages: [`property ${defect.field} should not exist`] },
      ]);
  }
}

export function inspectInput(limits: InputLimits = DEFAULT_INPUT_LIMITS) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const bodyDefect = findInputDefect(req.body, limits);
    if (bodyDefect) return next(defectException(bodyDefect, 'body'));
    const queryDefect = findInputDefect(req.query, limits);
    if (queryDefect) return next(defectException(queryDefect, 'query'));
    next();
  };
}

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

// Form and text bodies are CORS "simple" requests any web page can send without a preflight.
export function requireJsonBodies(formPaths: string[]) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (!hasBody(req) || formPaths.some((p) => req.path.startsWith(p))) return next();
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type === 'application/json') return next();
    next(
      new AppException(
        415,
        EdgeErrorCode.UNSUPPORTED_MEDIA_TYPE,
        'Send the request body as application/json.',
      ),
    );
  };
}

import { createHash, randomBytes } from 'node:crypto';

/** 256 random bits, base64url: refresh, verification and reset tokens (≥ 128 bits required). */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * SHA-256 (hex) of a high-entropy token. A fast hash is right here, unlike for passwords: the input is
 * already 256 random bits, and the hash is looked up through a unique index instead of compared in code.
 */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Emails are compared and stored lower-cased and trimmed: the unique index is then case-insensitive. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

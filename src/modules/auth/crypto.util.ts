import { createHash, randomBytes } from 'node:crypto';

// 256 bits (≥ 128 required).
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

// A fast hash is right here, unlike for passwords: the input is already 256 random bits, and it is looked up
// through a unique index instead of compared in code.
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

// So the unique index is case-insensitive.
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

// Fernet has no associated data, so the row travels inside the plaintext: a ciphertext copied onto
// another row or field is refused. Format: docs/encryption.md § Storage and row binding.
export interface SecretContext {
  id: string;
  ownerType: string;
  ownerId: string;
  field: string;
}

export const ENVELOPE_VERSION = 1;

export function sealEnvelope(ctx: SecretContext, value: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      v: ENVELOPE_VERSION,
      id: ctx.id,
      ownerType: ctx.ownerType,
      ownerId: ctx.ownerId,
      field: ctx.field,
      value,
    }),
    'utf8',
  );
}

export type OpenResult =
  { ok: true; value: string } | { ok: false; reason: 'not_an_envelope' | 'context_mismatch' };

export function openEnvelope(plaintext: Buffer, expected: SecretContext): OpenResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(plaintext.toString('utf8'));
  } catch {
    return { ok: false, reason: 'not_an_envelope' };
  }
  const e = parsed as Partial<Record<keyof SecretContext | 'v' | 'value', unknown>> | null;
  if (!e || typeof e !== 'object' || e.v !== ENVELOPE_VERSION || typeof e.value !== 'string') {
    return { ok: false, reason: 'not_an_envelope' };
  }
  const matches =
    e.id === expected.id &&
    e.ownerType === expected.ownerType &&
    e.ownerId === expected.ownerId &&
    e.field === expected.field;
  return matches ? { ok: true, value: e.value } : { ok: false, reason: 'context_mismatch' };
}

/**
 * Failures of stored secrets. Not AppExceptions: they are server faults (a 500 whose body says nothing),
 * and their messages hold only ids and key ids, never plaintext, ciphertext or keys.
 */
export class EncryptionError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The ciphertext is sound but belongs to another row (copied or moved): refused. */
export class SecretBindingError extends EncryptionError {
  constructor(readonly secretId: string) {
    super('secret_binding_mismatch', `secret ${secretId}: ciphertext is bound to a different row`);
  }
}

/** The ciphertext cannot be opened: unknown key id, tampering, or not an envelope. */
export class SecretUnreadableError extends EncryptionError {
  constructor(
    readonly secretId: string,
    reason: string,
  ) {
    super('secret_unreadable', `secret ${secretId}: ${reason}`);
  }
}

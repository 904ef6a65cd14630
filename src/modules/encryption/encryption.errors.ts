// Server faults (a bare 500); messages hold only ids, never plaintext, ciphertext or keys.
export class EncryptionError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class SecretBindingError extends EncryptionError {
  constructor(readonly secretId: string) {
    super('secret_binding_mismatch', `secret ${secretId}: ciphertext is bound to a different row`);
  }
}

export class SecretUnreadableError extends EncryptionError {
  constructor(
    readonly secretId: string,
    reason: string,
  ) {
    super('secret_unreadable', `secret ${secretId}: ${reason}`);
  }
}

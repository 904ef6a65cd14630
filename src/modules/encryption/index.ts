export { EncryptionModule } from './encryption.module';
export { EncryptionService } from './encryption.service';
export type { KeyCount, SecretRef } from './encryption.service';
export { EncryptionError, SecretBindingError, SecretUnreadableError } from './encryption.errors';
export type { Ciphertext } from './secret.entity';
export { SecretEntity } from './secret.entity';

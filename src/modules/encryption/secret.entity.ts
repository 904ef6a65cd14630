import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A ciphertext that only EncryptionService produces. Branded so that a plaintext `string` cannot be stored
 * where a ciphertext belongs: `const c: Ciphertext = 'secret'` is a compile error.
 */
export type Ciphertext = string & { readonly __brand: 'Ciphertext' };

/**
 * One encrypted secret, owned by a row of another module (e.g. owner_type `provider_token`, owner_id that
 * row's id, field `refresh_token`). `key_id` records which key encrypted it, so rotation progress is one
 * GROUP BY. The ciphertext's plaintext is an envelope naming (id, owner_type, owner_id, field): see
 * secret-envelope.ts.
 */
@Entity({ name: 'secrets' })
@Index('UQ_secrets_owner_field', ['ownerType', 'ownerId', 'field'], { unique: true })
@Index('IDX_secrets_key_id', ['keyId'])
export class SecretEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_secrets' })
  id: string;

  @Column({ name: 'owner_type', type: 'text' })
  ownerType: string;

  @Column({ name: 'owner_id', type: 'uuid' })
  ownerId: string;

  @Column({ type: 'text' })
  field: string;

  @Column({ name: 'key_id', type: 'text' })
  keyId: string;

  @Column({ type: 'text' })
  ciphertext: Ciphertext;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}

import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

// Branded so a plaintext `string` cannot be stored where a ciphertext belongs.
export type Ciphertext = string & { readonly __brand: 'Ciphertext' };

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

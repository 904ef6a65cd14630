import { MigrationInterface, QueryRunner } from 'typeorm';

/** The encryption module's `secrets` table (see src/modules/encryption/secret.entity.ts). */
export class Encryption1764100000000 implements MigrationInterface {
  name = 'Encryption1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "secrets" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "owner_type" text NOT NULL, "owner_id" uuid NOT NULL, "field" text NOT NULL, "key_id" text NOT NULL, "ciphertext" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_secrets" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE UNIQUE INDEX "UQ_secrets_owner_field" ON "secrets" ("owner_type", "owner_id", "field")`,
    );
    // "How many secrets still use key X" and rotation's `key_id <> primary` both read this index.
    await q.query(`CREATE INDEX "IDX_secrets_key_id" ON "secrets" ("key_id")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "secrets"`);
  }
}

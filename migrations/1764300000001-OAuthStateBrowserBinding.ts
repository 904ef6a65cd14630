import { MigrationInterface, QueryRunner } from 'typeorm';

/** The browser-callback binding: SHA-256 of the random cookie set when the flow started (null: no binding). */
export class OAuthStateBrowserBinding1764300000001 implements MigrationInterface {
  name = 'OAuthStateBrowserBinding1764300000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "oauth_states" ADD "browser_hash" text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "oauth_states" DROP COLUMN "browser_hash"`);
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/** Failed-login counts decay: the time of the last counted failure, so an old failure stops counting. */
export class AuthLockoutDecay1764200000001 implements MigrationInterface {
  name = 'AuthLockoutDecay1764200000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "users" ADD "last_failed_at" TIMESTAMP WITH TIME ZONE`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "users" DROP COLUMN "last_failed_at"`);
  }
}

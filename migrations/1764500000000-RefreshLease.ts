import { MigrationInterface, QueryRunner } from 'typeorm';

export class RefreshLease1764500000000 implements MigrationInterface {
  name = 'RefreshLease1764500000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "provider_tokens" ADD "refresh_lease_id" uuid`);
    await queryRunner.query(
      `ALTER TABLE "provider_tokens" ADD "refresh_lease_until" TIMESTAMP WITH TIME ZONE`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "provider_tokens" DROP COLUMN "refresh_lease_until"`);
    await queryRunner.query(`ALTER TABLE "provider_tokens" DROP COLUMN "refresh_lease_id"`);
  }
}

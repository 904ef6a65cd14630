import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Financial data: accounts, positions snapshots, transactions, balance history (NUMERIC(28,8) money), the sync
 * schedule, and the connection's sync status. Everything hangs off provider_connections with ON DELETE CASCADE.
 * Disconnection keeps the connection row (status `disconnected`, for its event trail), so a trigger deletes the
 * connection's financial data in the same transaction as that status change; another removes an account's
 * encrypted API handle (secrets have no foreign keys: they serve several owner types).
 */
export class FinancialData1764400000000 implements MigrationInterface {
  name = 'FinancialData1764400000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "brokerage_accounts" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "connection_id" uuid NOT NULL, "user_id" uuid NOT NULL, "provider_key" text NOT NULL, "external_id" text NOT NULL, "name" text NOT NULL, "type" text NOT NULL, "number_last4" text NOT NULL, "currency" text NOT NULL, "status" text NOT NULL DEFAULT 'open', "cash" numeric(28,8) NOT NULL, "market_value" numeric(28,8) NOT NULL, "total" numeric(28,8) NOT NULL, "positions_as_of" TIMESTAMP WITH TIME ZONE, "last_synced_at" TIMESTAMP WITH TIME ZONE NOT NULL, "closed_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_brokerage_accounts" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_brokerage_accounts_user_created" ON "brokerage_accounts"  ("user_id", "created_at", "id") `,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_brokerage_accounts_connection_external" ON "brokerage_accounts"  ("connection_id", "external_id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "account_transactions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "account_id" uuid NOT NULL, "external_id" text NOT NULL, "date" date NOT NULL, "settlement_date" date, "type" text NOT NULL, "description" text, "symbol" text, "quantity" numeric(28,8), "price" numeric(28,8), "amount" numeric(28,8) NOT NULL, "currency" text NOT NULL, CONSTRAINT "PK_account_transactions" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_account_transactions_account_type_date" ON "account_transactions"  ("account_id", "type", "date", "id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_account_transactions_account_date" ON "account_transactions"  ("account_id", "date", "id") `,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_account_transactions_account_external" ON "account_transactions"  ("account_id", "external_id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "account_balances" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "account_id" uuid NOT NULL, "as_of" TIMESTAMP WITH TIME ZONE NOT NULL, "cash" numeric(28,8) NOT NULL, "market_value" numeric(28,8) NOT NULL, "total" numeric(28,8) NOT NULL, "currency" text NOT NULL, CONSTRAINT "PK_account_balances" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_account_balances_account_as_of" ON "account_balances"  ("account_id", "as_of") `,
    );
    await queryRunner.query(
      `CREATE TABLE "account_positions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "account_id" uuid NOT NULL, "symbol" text NOT NULL, "description" text, "asset_type" text NOT NULL, "quantity" numeric(28,8) NOT NULL, "average_price" numeric(28,8), "market_value" numeric(28,8) NOT NULL, "currency" text NOT NULL, CONSTRAINT "PK_account_positions" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_account_positions_account" ON "account_positions"  ("account_id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "connection_syncs" ("connection_id" uuid NOT NULL, "next_sync_at" TIMESTAMP WITH TIME ZONE NOT NULL, "lease_owner" uuid, "lease_until" TIMESTAMP WITH TIME ZONE, "requested_at" TIMESTAMP WITH TIME ZONE, "last_started_at" TIMESTAMP WITH TIME ZONE, "failure_count" integer NOT NULL DEFAULT '0', "degraded_by_sync" boolean NOT NULL DEFAULT false, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_connection_syncs" PRIMARY KEY ("connection_id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_connection_syncs_next" ON "connection_syncs"  ("next_sync_at") `,
    );
    await queryRunner.query(
      `ALTER TABLE "provider_connections" ADD "sync_status" text NOT NULL DEFAULT 'idle'`,
    );
    await queryRunner.query(`ALTER TABLE "provider_connections" ADD "sync_status_reason" text`);
    await queryRunner.query(
      `ALTER TABLE "provider_connections" ADD "last_synced_at" TIMESTAMP WITH TIME ZONE`,
    );
    await queryRunner.query(
      `ALTER TABLE "brokerage_accounts" ADD CONSTRAINT "FK_brokerage_accounts_connection" FOREIGN KEY ("connection_id") REFERENCES "provider_connections"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "account_transactions" ADD CONSTRAINT "FK_account_transactions_account" FOREIGN KEY ("account_id") REFERENCES "brokerage_accounts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "account_balances" ADD CONSTRAINT "FK_account_balances_account" FOREIGN KEY ("account_id") REFERENCES "brokerage_accounts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "account_positions" ADD CONSTRAINT "FK_account_positions_account" FOREIGN KEY ("account_id") REFERENCES "brokerage_accounts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "connection_syncs" ADD CONSTRAINT "FK_connection_syncs_connection" FOREIGN KEY ("connection_id") REFERENCES "provider_connections"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `CREATE FUNCTION "brokerage_account_secrets_purge"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN DELETE FROM "secrets" WHERE "owner_type" = 'brokerage_account' AND "owner_id" = OLD."id"; RETURN NULL; END $$`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "TRG_brokerage_accounts_secrets_purge" AFTER DELETE ON "brokerage_accounts" FOR EACH ROW EXECUTE FUNCTION "brokerage_account_secrets_purge"()`,
    );
    await queryRunner.query(
      `CREATE FUNCTION "provider_connection_financial_data_purge"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN DELETE FROM "brokerage_accounts" WHERE "connection_id" = NEW."id"; DELETE FROM "connection_syncs" WHERE "connection_id" = NEW."id"; RETURN NULL; END $$`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "TRG_provider_connections_disconnect_purge" AFTER UPDATE OF "status" ON "provider_connections" FOR EACH ROW WHEN (NEW."status" = 'disconnected' AND OLD."status" IS DISTINCT FROM 'disconnected') EXECUTE FUNCTION "provider_connection_financial_data_purge"()`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `DROP TRIGGER "TRG_provider_connections_disconnect_purge" ON "provider_connections"`,
    );
    await queryRunner.query(`DROP FUNCTION "provider_connection_financial_data_purge"()`);
    await queryRunner.query(
      `DROP TRIGGER "TRG_brokerage_accounts_secrets_purge" ON "brokerage_accounts"`,
    );
    await queryRunner.query(`DROP FUNCTION "brokerage_account_secrets_purge"()`);
    await queryRunner.query(
      `ALTER TABLE "connection_syncs" DROP CONSTRAINT "FK_connection_syncs_connection"`,
    );
    await queryRunner.query(
      `ALTER TABLE "account_positions" DROP CONSTRAINT "FK_account_positions_account"`,
    );
    await queryRunner.query(
      `ALTER TABLE "account_balances" DROP CONSTRAINT "FK_account_balances_account"`,
    );
    await queryRunner.query(
      `ALTER TABLE "account_transactions" DROP CONSTRAINT "FK_account_transactions_account"`,
    );
    await queryRunner.query(
      `ALTER TABLE "brokerage_accounts" DROP CONSTRAINT "FK_brokerage_accounts_connection"`,
    );
    await queryRunner.query(`ALTER TABLE "provider_connections" DROP COLUMN "last_synced_at"`);
    await queryRunner.query(`ALTER TABLE "provider_connections" DROP COLUMN "sync_status_reason"`);
    await queryRunner.query(`ALTER TABLE "provider_connections" DROP COLUMN "sync_status"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_connection_syncs_next"`);
    await queryRunner.query(`DROP TABLE "connection_syncs"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_account_positions_account"`);
    await queryRunner.query(`DROP TABLE "account_positions"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_account_balances_account_as_of"`);
    await queryRunner.query(`DROP TABLE "account_balances"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_account_transactions_account_external"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_account_transactions_account_date"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_account_transactions_account_type_date"`);
    await queryRunner.query(`DROP TABLE "account_transactions"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_brokerage_accounts_connection_external"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_brokerage_accounts_user_created"`);
    await queryRunner.query(`DROP TABLE "brokerage_accounts"`);
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Brokerage connections, pending OAuth states, token metadata (the tokens themselves are encrypted in `secrets`)
 * and the per-connection event trail. Relations are by id column only (module boundaries), hence no foreign keys.
 */
export class Providers1764300000000 implements MigrationInterface {
  name = 'Providers1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "provider_connections" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "provider_key" text NOT NULL, "alias" text, "status" text NOT NULL DEFAULT 'pending_auth', "status_reason" text, "connected_at" TIMESTAMP WITH TIME ZONE, "disconnected_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_provider_connections" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE INDEX "IDX_provider_connections_user_created" ON "provider_connections" ("user_id", "created_at", "id")`,
    );

    await q.query(
      `CREATE TABLE "oauth_states" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "state_hash" text NOT NULL, "connection_id" uuid NOT NULL, "user_id" uuid NOT NULL, "provider_key" text NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "consumed_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_oauth_states" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE UNIQUE INDEX "UQ_oauth_states_state_hash" ON "oauth_states" ("state_hash")`,
    );
    await q.query(`CREATE INDEX "IDX_oauth_states_connection" ON "oauth_states" ("connection_id")`);

    await q.query(
      `CREATE TABLE "provider_tokens" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "connection_id" uuid NOT NULL, "provider_key" text NOT NULL, "access_token_expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "refresh_token_expires_at" TIMESTAMP WITH TIME ZONE, "obtained_at" TIMESTAMP WITH TIME ZONE NOT NULL, "last_refreshed_at" TIMESTAMP WITH TIME ZONE, "refresh_count" integer NOT NULL DEFAULT 0, "scopes" text array NOT NULL DEFAULT '{}', "refresh_due_at" TIMESTAMP WITH TIME ZONE, "failure_count" integer NOT NULL DEFAULT 0, "next_attempt_at" TIMESTAMP WITH TIME ZONE, "last_error_code" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_provider_tokens" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE UNIQUE INDEX "UQ_provider_tokens_connection" ON "provider_tokens" ("connection_id")`,
    );
    // The sweep's claim query: due rows of one brokerage in due order.
    await q.query(
      `CREATE INDEX "IDX_provider_tokens_due" ON "provider_tokens" ("provider_key", "refresh_due_at")`,
    );

    await q.query(
      `CREATE TABLE "connection_events" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "connection_id" uuid NOT NULL, "type" text NOT NULL, "data" jsonb NOT NULL DEFAULT '{}', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT clock_timestamp(), CONSTRAINT "PK_connection_events" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE INDEX "IDX_connection_events_connection_created" ON "connection_events" ("connection_id", "created_at")`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "connection_events"`);
    await q.query(`DROP TABLE "provider_tokens"`);
    await q.query(`DROP TABLE "oauth_states"`);
    await q.query(`DROP TABLE "provider_connections"`);
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Audit log (append-only, enforced by a trigger) and the auth tables: users, sessions (one per login = one
 * refresh-token family), rotated refresh-token hashes (reuse detection) and one-time tokens.
 */
export class Auth1764200000000 implements MigrationInterface {
  name = 'Auth1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "audit_events" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "type" text NOT NULL, "user_id" uuid, "ip" text, "user_agent" text, "request_id" text, "data" jsonb NOT NULL DEFAULT '{}', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT clock_timestamp(), CONSTRAINT "PK_audit_events" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE INDEX "IDX_audit_events_type_created" ON "audit_events" ("type", "created_at")`,
    );
    await q.query(
      `CREATE INDEX "IDX_audit_events_user_created" ON "audit_events" ("user_id", "created_at")`,
    );
    // The database, not the application, guarantees the log is never rewritten (TRUNCATE included).
    await q.query(`CREATE FUNCTION "audit_events_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(
      `CREATE TRIGGER "audit_events_no_update_delete" BEFORE UPDATE OR DELETE ON "audit_events" FOR EACH ROW EXECUTE FUNCTION "audit_events_append_only"()`,
    );
    await q.query(
      `CREATE TRIGGER "audit_events_no_truncate" BEFORE TRUNCATE ON "audit_events" FOR EACH STATEMENT EXECUTE FUNCTION "audit_events_append_only"()`,
    );

    await q.query(
      `CREATE TABLE "users" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "email" text NOT NULL, "name" text, "password_hash" text NOT NULL, "email_verified_at" TIMESTAMP WITH TIME ZONE, "roles" text array NOT NULL DEFAULT '{user}', "failed_login_count" integer NOT NULL DEFAULT 0, "locked_until" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_users" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE UNIQUE INDEX "UQ_users_email" ON "users" ("email")`);

    await q.query(
      `CREATE TABLE "sessions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "refresh_hash" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "last_used_at" TIMESTAMP WITH TIME ZONE NOT NULL, "idle_expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "absolute_expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "revoked_at" TIMESTAMP WITH TIME ZONE, "revoke_reason" text, "user_agent" text, "ip" text, CONSTRAINT "PK_sessions" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE UNIQUE INDEX "UQ_sessions_refresh_hash" ON "sessions" ("refresh_hash")`);
    await q.query(`CREATE INDEX "IDX_sessions_user" ON "sessions" ("user_id")`);

    await q.query(
      `CREATE TABLE "rotated_refresh_tokens" ("token_hash" text NOT NULL, "session_id" uuid NOT NULL, "rotated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_rotated_refresh_tokens" PRIMARY KEY ("token_hash"))`,
    );
    await q.query(
      `CREATE INDEX "IDX_rotated_refresh_tokens_session" ON "rotated_refresh_tokens" ("session_id")`,
    );

    await q.query(
      `CREATE TABLE "one_time_tokens" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "purpose" text NOT NULL, "token_hash" text NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "used_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_one_time_tokens" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE UNIQUE INDEX "UQ_one_time_tokens_hash" ON "one_time_tokens" ("token_hash")`,
    );
    await q.query(
      `CREATE INDEX "IDX_one_time_tokens_user_purpose" ON "one_time_tokens" ("user_id", "purpose")`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "one_time_tokens"`);
    await q.query(`DROP TABLE "rotated_refresh_tokens"`);
    await q.query(`DROP TABLE "sessions"`);
    await q.query(`DROP TABLE "users"`);
    await q.query(`DROP TABLE "audit_events"`);
    await q.query(`DROP FUNCTION "audit_events_append_only"()`);
  }
}

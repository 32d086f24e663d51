-- notary-server schema, identical to Go Notary's golang-migrate result (migrations/server/postgresql
-- 0001, 0002). Idempotent: an existing Go database is adopted as-is, no row is touched.
CREATE TABLE IF NOT EXISTS "tuf_files" (
  "id" serial PRIMARY KEY,
  "created_at" timestamp NULL DEFAULT NULL,
  "updated_at" timestamp NULL DEFAULT NULL,
  "deleted_at" timestamp NULL DEFAULT NULL,
  "gun" varchar(255) NOT NULL,
  "role" varchar(255) NOT NULL,
  "version" integer NOT NULL,
  "data" bytea NOT NULL,
  "sha256" char(64) DEFAULT NULL,
  UNIQUE ("gun","role","version")
);
CREATE INDEX IF NOT EXISTS tuf_files_sha256_idx ON tuf_files(sha256);

CREATE TABLE IF NOT EXISTS "change_category" (
  "category" VARCHAR(20) PRIMARY KEY
);
INSERT INTO "change_category" VALUES ('update'), ('deletion') ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS "changefeed" (
  "id" serial PRIMARY KEY,
  "created_at" timestamp DEFAULT CURRENT_TIMESTAMP,
  "gun" varchar(255) NOT NULL,
  "version" integer NOT NULL,
  "sha256" CHAR(64) DEFAULT NULL,
  "category" VARCHAR(20) NOT NULL DEFAULT 'update' REFERENCES "change_category"
);
CREATE INDEX IF NOT EXISTS "idx_changefeed_gun" ON "changefeed" ("gun");

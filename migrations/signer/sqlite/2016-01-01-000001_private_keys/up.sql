-- private_keys with Go Notary's columns (Go ships no SQLite migration; gorm's sqlite3 dialect
-- maps the same model to these types). IF NOT EXISTS keeps this idempotent.
CREATE TABLE IF NOT EXISTS "private_keys" (
    "id" integer PRIMARY KEY AUTOINCREMENT,
    "created_at" datetime NULL DEFAULT NULL,
    "updated_at" datetime NULL DEFAULT NULL,
    "deleted_at" datetime NULL DEFAULT NULL,
    "key_id" varchar(255) NOT NULL,
    "encryption_alg" varchar(255) NOT NULL,
    "keywrap_alg" varchar(255) NOT NULL,
    "algorithm" varchar(50) NOT NULL,
    "passphrase_alias" varchar(50) NOT NULL,
    "public" blob NOT NULL,
    "private" blob NOT NULL,
    "gun" varchar(255) NOT NULL,
    "role" varchar(255) NOT NULL,
    "last_used" datetime NULL DEFAULT NULL,
    CONSTRAINT "key_id" UNIQUE ("key_id"),
    CONSTRAINT "key_id_2" UNIQUE ("key_id", "algorithm")
);

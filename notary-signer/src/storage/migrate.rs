//! Embedded, idempotent migrations per backend (`migrations/signer/<backend>/`).
//!
//! They only `CREATE TABLE IF NOT EXISTS`, so a database prepared by Go Notary's golang-migrate
//! (with its own `schema_migrations` table) is adopted without touching any row. diesel keeps
//! its bookkeeping in `__diesel_schema_migrations`, which does not clash with golang-migrate's.

use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::{AnyConnection, StoreError};

const POSTGRESQL: EmbeddedMigrations = embed_migrations!("../migrations/signer/postgresql");
const MYSQL: EmbeddedMigrations = embed_migrations!("../migrations/signer/mysql");
const SQLITE: EmbeddedMigrations = embed_migrations!("../migrations/signer/sqlite");

/// Applies every pending migration of the connection's backend.
pub fn run(conn: &mut AnyConnection) -> Result<(), StoreError> {
    let result = match conn {
        AnyConnection::Postgresql(c) => c.run_pending_migrations(POSTGRESQL).map(drop),
        AnyConnection::Mysql(c) => c.run_pending_migrations(MYSQL).map(drop),
        AnyConnection::Sqlite(c) => c.run_pending_migrations(SQLITE).map(drop),
    };
    result.map_err(|e| StoreError::Migration(e.to_string()))
}

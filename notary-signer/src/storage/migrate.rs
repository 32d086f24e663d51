//! Embedded, idempotent migrations per backend (`migrations/signer/<backend>/`).
//!
//! They only `CREATE TABLE IF NOT EXISTS`, so a database prepared by Go Notary's golang-migrate
//! (with its own `schema_migrations` table) is adopted without touching any row. diesel keeps
//! its bookkeeping in `__diesel_schema_migrations`, which does not clash with golang-migrate's.

use diesel_migrations::embed_migrations;
use notary_db::Migrations;

use super::{AnyConnection, StoreError};

const MIGRATIONS: Migrations = Migrations {
    postgres: embed_migrations!("../migrations/signer/postgresql"),
    mysql: embed_migrations!("../migrations/signer/mysql"),
    sqlite: embed_migrations!("../migrations/signer/sqlite"),
};

/// Applies every pending migration of the connection's backend.
pub fn run(conn: &mut AnyConnection) -> Result<(), StoreError> {
    notary_db::run_migrations(conn, MIGRATIONS).map_err(StoreError::Migration)
}

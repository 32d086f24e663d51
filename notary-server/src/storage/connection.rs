//! The server's database connections (notary-db's connection type and manager), its r2d2
//! pool, and the embedded per-backend migrations.

use std::time::Duration;

use diesel::r2d2::Pool;
use diesel_migrations::embed_migrations;
use notary_db::{Backend, Manager, Migrations};

pub use notary_db::AnyConnection;

use super::StorageConfig;
use super::StoreError;

pub type DbPool = Pool<Manager>;

const MIGRATIONS: Migrations = Migrations {
    postgres: embed_migrations!("../migrations/server/postgresql"),
    mysql: embed_migrations!("../migrations/server/mysql"),
    sqlite: embed_migrations!("../migrations/server/sqlite"),
};

/// Per-connection setup for SQLite: wait for the write lock instead of failing, WAL so readers
/// never block the writer.
const SQLITE_SETUP: &str =
    "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;";

/// Opens the pool and applies the migrations (idempotent).
pub fn open(cfg: &StorageConfig) -> Result<DbPool, StoreError> {
    let (backend, url, max_size) = match cfg {
        StorageConfig::Sqlite(path) if path == ":memory:" => (Backend::Memory, String::new(), 1),
        StorageConfig::Memory => (Backend::Memory, String::new(), 1),
        StorageConfig::Sqlite(path) => (Backend::Sqlite, path.clone(), 8),
        StorageConfig::Postgres(url) => (Backend::Postgres, url.clone(), 16),
        StorageConfig::Mysql(url) => (Backend::Mysql, url.clone(), 16),
    };
    let manager = Manager::new(backend, url)
        .map_err(|e| StoreError::Connect(e.to_string()))?
        .sqlite_setup(SQLITE_SETUP);
    let pool = notary_db::pool_builder(backend, max_size)
        .min_idle(Some(1))
        .idle_timeout(None)
        .max_lifetime(None)
        .connection_timeout(Duration::from_secs(10))
        .build(manager)
        .map_err(|e| StoreError::Connect(e.to_string()))?;
    let mut conn = pool.get().map_err(|e| StoreError::Connect(e.to_string()))?;
    migrate(&mut conn)?;
    Ok(pool)
}

fn migrate(conn: &mut AnyConnection) -> Result<(), StoreError> {
    notary_db::run_migrations(conn, MIGRATIONS).map_err(StoreError::Migration)
}

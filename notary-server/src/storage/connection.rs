//! The server's database connections (notary-db's connection type and manager), its r2d2
//! pool, and the embedded per-backend migrations.

use std::time::Duration;

use diesel::r2d2::Pool;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use notary_db::{Backend, Manager};

pub use notary_db::AnyConnection;

use super::StoreError;
use crate::config::StorageConfig;

pub type DbPool = Pool<Manager>;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/server/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations =
    embed_migrations!("../migrations/server/postgresql");
const MYSQL_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/server/mysql");

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
    let manager = Manager::new(backend, url).sqlite_setup(SQLITE_SETUP);
    let pool = notary_db::pool_builder()
        .max_size(max_size)
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
    let res = match conn {
        AnyConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ()),
        AnyConnection::Postgresql(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ()),
        AnyConnection::Mysql(c) => c.run_pending_migrations(MYSQL_MIGRATIONS).map(|_| ()),
    };
    res.map_err(|e| StoreError::Migration(e.to_string()))
}

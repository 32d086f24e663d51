//! One diesel connection type over SQLite, PostgreSQL and MySQL, its r2d2 pool, and the embedded
//! per-backend migrations.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::StoreError;
use crate::config::StorageConfig;

/// A connection to whichever database the config names.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(diesel::PgConnection),
    Mysql(diesel::MysqlConnection),
    Sqlite(diesel::SqliteConnection),
}

pub type DbPool = Pool<ConnectionManager<AnyConnection>>;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/server/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations =
    embed_migrations!("../migrations/server/postgresql");
const MYSQL_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/server/mysql");

/// Per-connection setup for SQLite: wait for the write lock instead of failing, WAL so readers
/// never block the writer.
#[derive(Debug)]
struct SqliteSetup;

impl CustomizeConnection<AnyConnection, diesel::r2d2::Error> for SqliteSetup {
    fn on_acquire(&self, conn: &mut AnyConnection) -> Result<(), diesel::r2d2::Error> {
        if let AnyConnection::Sqlite(c) = conn {
            c.batch_execute(
                "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;",
            )
            .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

/// Opens the pool and applies the migrations (idempotent).
pub fn open(cfg: &StorageConfig) -> Result<DbPool, StoreError> {
    let (url, max_size) = match cfg {
        StorageConfig::Sqlite(path) if path == ":memory:" => (memory_url(), 1),
        StorageConfig::Memory => (memory_url(), 1),
        StorageConfig::Sqlite(path) => (path.clone(), 8),
        StorageConfig::Postgres(url) => (url.clone(), 16),
        StorageConfig::Mysql(url) => (url.clone(), 16),
    };
    let manager = ConnectionManager::<AnyConnection>::new(url);
    let pool = Pool::builder()
        .max_size(max_size)
        .min_idle(Some(1))
        .idle_timeout(None)
        .max_lifetime(None)
        .connection_timeout(Duration::from_secs(10))
        .connection_customizer(Box::new(SqliteSetup))
        .build(manager)
        .map_err(|e| StoreError::Connect(e.to_string()))?;
    let mut conn = pool.get().map_err(|e| StoreError::Connect(e.to_string()))?;
    migrate(&mut conn)?;
    Ok(pool)
}

/// A private in-memory SQLite database (the pool holds its only connection forever).
fn memory_url() -> String {
    ":memory:".to_string()
}

fn migrate(conn: &mut AnyConnection) -> Result<(), StoreError> {
    let res = match conn {
        AnyConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ()),
        AnyConnection::Postgresql(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ()),
        AnyConnection::Mysql(c) => c.run_pending_migrations(MYSQL_MIGRATIONS).map(|_| ()),
    };
    res.map_err(|e| StoreError::Migration(e.to_string()))
}

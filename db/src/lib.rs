//! Database connections shared by notary-server and notary-signer: one diesel connection type
//! over SQLite, PostgreSQL and MySQL/MariaDB, and the r2d2 manager that opens exactly the
//! configured backend.
//!
//! diesel's own `PgConnection` and `MysqlConnection` are bindings to libpq and libmysqlclient,
//! which load OpenSSL, GnuTLS, Kerberos and LDAP into every process, PostgreSQL or not: about
//! 6 MiB of resident memory in each of our binaries. Instead, PostgreSQL and MySQL go through
//! diesel-async's pure-Rust connections (tokio-postgres, mysql_async) inside diesel-async's
//! `AsyncConnectionWrapper`, which implements diesel's synchronous `Connection`; queries,
//! transactions, r2d2 pools, `MultiConnection` and embedded migrations are unchanged. TLS to
//! PostgreSQL is rustls with ring, like the rest of the project (see [`postgres`]).
//!
//! Every PostgreSQL/MySQL socket is driven by one shared background runtime thread
//! (`db-io`); a query blocks its calling thread until its answer is in, exactly as a libpq
//! query does, so callers keep running database work on blocking threads.

mod tls_verify;

pub mod mysql;
pub mod postgres;
mod redact;
mod runtime;
mod wrapped;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{ManageConnection, R2D2Connection};
use diesel::{Connection, ConnectionResult, SqliteConnection};
use diesel_async::{AsyncConnection, AsyncMysqlConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness};

pub use redact::redact_db_url;
pub use runtime::DbRuntime;
pub use wrapped::{BuiltinTypesOnly, MysqlConnection, PgConnection};

/// For [`handshake_signature_methods!`]'s paths; not an API.
#[doc(hidden)]
pub use rustls as __rustls;

/// A connection to any supported database; queries are written once against it.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    /// PostgreSQL.
    Postgresql(PgConnection),
    /// MySQL / MariaDB.
    Mysql(MysqlConnection),
    /// SQLite (bundled).
    Sqlite(SqliteConnection),
}

/// Storage backends of the Go configs' `storage.backend`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `sqlite3`: `db_url` is a file path.
    Sqlite,
    /// `postgres`: a libpq URL or `key=value` string.
    Postgres,
    /// `mysql`: a `mysql://` URL.
    Mysql,
    /// `memory`: a private in-memory SQLite database, gone at exit.
    Memory,
}

impl Backend {
    /// Parses the Go config value.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "sqlite3" | "sqlite" => Some(Self::Sqlite),
            "postgres" | "postgresql" => Some(Self::Postgres),
            "mysql" => Some(Self::Mysql),
            "memory" => Some(Self::Memory),
            _ => None,
        }
    }
}

/// An r2d2 pool builder for `manager`'s backend, whose background upkeep (opening replacement
/// connections, reaping) runs on one thread; r2d2's default is three per pool, idle nearly all
/// the time. `memory` always gets one connection that is never recycled or replaced: that
/// connection *is* the database. Other backends get up to `max_size` connections.
pub fn pool_builder(backend: Backend, max_size: u32) -> diesel::r2d2::Builder<Manager> {
    let builder = diesel::r2d2::Pool::builder().thread_pool(std::sync::Arc::new(
        scheduled_thread_pool::ScheduledThreadPool::builder()
            .num_threads(1)
            .thread_name_pattern("r2d2-worker-{}")
            .build(),
    ));
    match backend {
        Backend::Memory => builder
            .max_size(1)
            .max_lifetime(None)
            .idle_timeout(None)
            .test_on_check_out(false),
        _ => builder.max_size(max_size),
    }
}

/// Each backend's embedded migrations.
pub struct Migrations {
    /// `migrations/<service>/postgresql`.
    pub postgres: EmbeddedMigrations,
    /// `migrations/<service>/mysql`.
    pub mysql: EmbeddedMigrations,
    /// `migrations/<service>/sqlite` (also `memory`).
    pub sqlite: EmbeddedMigrations,
}

/// Applies every pending migration of the connection's backend (idempotent).
pub fn run_migrations(conn: &mut AnyConnection, m: Migrations) -> Result<(), String> {
    let result = match conn {
        AnyConnection::Postgresql(c) => c.run_pending_migrations(m.postgres).map(drop),
        AnyConnection::Mysql(c) => c.run_pending_migrations(m.mysql).map(drop),
        AnyConnection::Sqlite(c) => c.run_pending_migrations(m.sqlite).map(drop),
    };
    result.map_err(|e| e.to_string())
}

/// Opens a PostgreSQL connection: `url` is a libpq URL or `key=value` string, with libpq's
/// `sslmode`, `sslrootcert`, `sslcert` and `sslkey` (see [`postgres::Settings`]).
pub fn connect_postgres(url: &str) -> ConnectionResult<PgConnection> {
    connect_postgres_with(&postgres::Settings::parse(url)?)
}

fn connect_postgres_with(settings: &postgres::Settings) -> ConnectionResult<PgConnection> {
    let rt = runtime::DbRuntime::get()?;
    let conn = rt.run(settings.connect())?;
    Ok(PgConnection::new(conn))
}

/// Opens a MySQL/MariaDB connection from a `mysql://user:password@host:port/db` URL.
pub fn connect_mysql(url: &str) -> ConnectionResult<MysqlConnection> {
    let rt = runtime::DbRuntime::get()?;
    rt.run(AsyncMysqlConnection::establish(url))
        .map(MysqlConnection::new)
}

/// Opens a SQLite database file (or `:memory:`).
pub fn connect_sqlite(path: &str) -> ConnectionResult<SqliteConnection> {
    SqliteConnection::establish(path)
}

/// What a [`Manager`] opens; PostgreSQL settings are parsed once, when the manager is made.
#[derive(Clone)]
enum Target {
    Postgres(Box<postgres::Settings>),
    Mysql(String),
    Sqlite(String),
    Memory,
}

/// r2d2 connection manager for one backend and URL, with optional SQL run on every new
/// connection of a given backend (SQLite pragmas, PostgreSQL session settings).
#[derive(Clone)]
pub struct Manager {
    target: Target,
    sqlite_setup: Option<&'static str>,
    postgres_setup: Option<&'static str>,
}

/// Names the backend only: the URL may hold a password.
impl std::fmt::Debug for Manager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let backend = match self.target {
            Target::Postgres(_) => "postgres",
            Target::Mysql(_) => "mysql",
            Target::Sqlite(_) => "sqlite3",
            Target::Memory => "memory",
        };
        f.debug_struct("Manager")
            .field("backend", &backend)
            .finish()
    }
}

impl Manager {
    /// A manager opening `url` with `backend`; a PostgreSQL connection string that cannot be
    /// parsed is refused here, before any connection is tried.
    pub fn new(backend: Backend, url: String) -> ConnectionResult<Self> {
        let target = match backend {
            Backend::Postgres => Target::Postgres(Box::new(postgres::Settings::parse(&url)?)),
            Backend::Mysql => Target::Mysql(url),
            Backend::Sqlite => Target::Sqlite(url),
            Backend::Memory => Target::Memory,
        };
        Ok(Self {
            target,
            sqlite_setup: None,
            postgres_setup: None,
        })
    }

    /// SQL batch run on every new SQLite connection (file databases and `memory`).
    pub fn sqlite_setup(mut self, sql: &'static str) -> Self {
        self.sqlite_setup = Some(sql);
        self
    }

    /// SQL batch run on every new PostgreSQL connection.
    pub fn postgres_setup(mut self, sql: &'static str) -> Self {
        self.postgres_setup = Some(sql);
        self
    }
}

fn setup(conn: &mut impl SimpleConnection, sql: Option<&str>) -> Result<(), diesel::r2d2::Error> {
    match sql {
        Some(sql) => conn
            .batch_execute(sql)
            .map_err(diesel::r2d2::Error::QueryError),
        None => Ok(()),
    }
}

impl ManageConnection for Manager {
    type Connection = AnyConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, Self::Error> {
        use diesel::r2d2::Error::ConnectionError;
        Ok(match &self.target {
            Target::Postgres(settings) => {
                let mut c = connect_postgres_with(settings).map_err(ConnectionError)?;
                setup(&mut c, self.postgres_setup)?;
                AnyConnection::Postgresql(c)
            }
            Target::Mysql(url) => {
                AnyConnection::Mysql(connect_mysql(url).map_err(ConnectionError)?)
            }
            Target::Sqlite(path) => {
                let mut c = connect_sqlite(path).map_err(ConnectionError)?;
                setup(&mut c, self.sqlite_setup)?;
                AnyConnection::Sqlite(c)
            }
            Target::Memory => {
                let mut c = connect_sqlite(":memory:").map_err(ConnectionError)?;
                setup(&mut c, self.sqlite_setup)?;
                AnyConnection::Sqlite(c)
            }
        })
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        conn.is_broken()
    }
}

//! One connection type over PostgreSQL, MySQL/MariaDB and SQLite, and the r2d2 manager that
//! opens exactly the configured backend (never "whichever accepts the URL").

use diesel::connection::SimpleConnection;
use diesel::r2d2::{ManageConnection, R2D2Connection};
use diesel::{Connection, MysqlConnection, PgConnection, SqliteConnection};

/// A connection to any supported database; queries are written once against it.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    /// PostgreSQL (libpq).
    Postgresql(PgConnection),
    /// MySQL / MariaDB.
    Mysql(MysqlConnection),
    /// SQLite (bundled).
    Sqlite(SqliteConnection),
}

/// Storage backends of `storage.backend`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `sqlite3`: `db_url` is a file path.
    Sqlite,
    /// `postgres`: libpq URL or key=value string.
    Postgres,
    /// `mysql`: `mysql://` URL (a Go DSN `user:pw@tcp(host:port)/db` is converted).
    Mysql,
    /// `memory`: a private in-memory SQLite database; keys vanish on exit.
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

/// r2d2 connection manager for one backend and URL.
#[derive(Debug, Clone)]
pub struct Manager {
    backend: Backend,
    url: String,
}

impl Manager {
    /// A manager opening `url` with `backend`.
    pub fn new(backend: Backend, url: String) -> Self {
        Self { backend, url }
    }
}

impl ManageConnection for Manager {
    type Connection = AnyConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, Self::Error> {
        let setup = |conn: &mut dyn SimpleConnection, sql: &str| {
            conn.batch_execute(sql)
                .map_err(diesel::r2d2::Error::QueryError)
        };
        Ok(match self.backend {
            Backend::Postgres => {
                let mut c = PgConnection::establish(&self.url)
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                // Keep every RPC bounded even if a lock or the server hangs.
                setup(&mut c, "SET statement_timeout = 10000")?;
                AnyConnection::Postgresql(c)
            }
            Backend::Mysql => AnyConnection::Mysql(
                MysqlConnection::establish(&self.url)
                    .map_err(diesel::r2d2::Error::ConnectionError)?,
            ),
            Backend::Sqlite => {
                let mut c = SqliteConnection::establish(&self.url)
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                setup(
                    &mut c,
                    "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL;",
                )?;
                AnyConnection::Sqlite(c)
            }
            Backend::Memory => AnyConnection::Sqlite(
                SqliteConnection::establish(":memory:")
                    .map_err(diesel::r2d2::Error::ConnectionError)?,
            ),
        })
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        conn.is_broken()
    }
}

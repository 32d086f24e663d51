//! The signer's database connections: notary-db's connection type and manager, with the
//! signer's per-connection settings.

pub use notary_db::{AnyConnection, Backend};

/// r2d2 connection manager for one backend and URL.
pub type Manager = notary_db::Manager;

/// The manager for `backend` and `url`, with the signer's session settings.
pub fn manager(backend: Backend, url: String) -> diesel::ConnectionResult<Manager> {
    Ok(notary_db::Manager::new(backend, url)?
        // Keep every RPC bounded even if a lock or the server hangs.
        .postgres_setup("SET statement_timeout = 10000")
        .sqlite_setup(
            "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
        ))
}

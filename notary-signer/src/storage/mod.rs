//! Persistence of encrypted private keys in `private_keys` (spec-signer §3.4), one code path
//! for SQLite, PostgreSQL and MySQL. All functions block: call them from `spawn_blocking`.

mod connection;
mod migrate;
pub mod schema;

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::r2d2::Pool;

pub use connection::{AnyConnection, Backend, Manager};
use schema::private_keys;

/// The columns of a `private_keys` row the signer uses (the key ID is recomputed from
/// `public`; `gun` is only a filter).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = private_keys)]
pub struct StoredKey {
    /// Key type (`ecdsa` / `ed25519`).
    pub algorithm: String,
    /// Alias whose passphrase encrypted `private`.
    pub passphrase_alias: String,
    /// Public key bytes.
    pub public: Vec<u8>,
    /// JWE compact string (ASCII bytes).
    pub private: Vec<u8>,
    /// Role the key was created for.
    pub role: String,
}

/// A row to insert.
#[derive(Debug, Insertable)]
#[diesel(table_name = private_keys)]
pub struct NewKey<'a> {
    /// Insert time.
    pub created_at: NaiveDateTime,
    /// Insert time.
    pub updated_at: NaiveDateTime,
    /// TUF key ID.
    pub key_id: &'a str,
    /// Always `A256GCM`.
    pub encryption_alg: &'a str,
    /// Always `PBES2-HS256+A128KW`.
    pub keywrap_alg: &'a str,
    /// Key type.
    pub algorithm: &'a str,
    /// Alias of the passphrase used.
    pub passphrase_alias: &'a str,
    /// Public key bytes.
    pub public: &'a [u8],
    /// JWE compact string.
    pub private: &'a [u8],
    /// GUN.
    pub gun: &'a str,
    /// Role.
    pub role: &'a str,
}

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No connection could be obtained from the pool in time.
    #[error("database unavailable: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    /// A statement failed.
    #[error("database error: {0}")]
    Query(#[from] diesel::result::Error),
    /// Embedded migrations could not be applied.
    #[error("migration failed: {0}")]
    Migration(String),
    /// `storage.db_url` cannot be used (e.g. an unparsable PostgreSQL connection string).
    #[error("invalid storage.db_url: {0}")]
    Connect(String),
}

/// Connections per pool; every database call runs on the runtime's blocking pool, which is
/// capped at the same number of threads, so more connections could never be used.
pub const MAX_CONNECTIONS: u32 = 8;

/// Pooled access to the key table.
#[derive(Clone)]
pub struct Store {
    pool: Pool<Manager>,
}

impl Store {
    /// Builds the pool and checks that one connection can be opened.
    pub fn connect(backend: Backend, url: &str) -> Result<Self, StoreError> {
        let manager = connection::manager(backend, url.to_owned())
            .map_err(|e| StoreError::Connect(e.to_string()))?;
        let pool = notary_db::pool_builder(backend, MAX_CONNECTIONS)
            .connection_timeout(Duration::from_secs(5))
            .min_idle(Some(1))
            .build(manager)?;
        Ok(Self { pool })
    }

    /// Applies the embedded migrations of this backend (idempotent). Retried a few times so
    /// that replicas starting together on one database do not fail on each other's DDL.
    pub fn migrate(&self) -> Result<(), StoreError> {
        let mut attempt = 0;
        loop {
            let result = self
                .pool
                .get()
                .map_err(StoreError::from)
                .and_then(|mut conn| migrate::run(&mut conn));
            match result {
                Err(e) if attempt < 3 => {
                    tracing::warn!(error = %e, "migration attempt failed; retrying");
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(200 * attempt));
                }
                other => return other,
            }
        }
    }

    /// The lowest-`key_id` pending (never used, not deleted) key for `(gun, role, algorithm)`.
    pub fn find_pending(
        &self,
        gun: &str,
        role: &str,
        algorithm: &str,
    ) -> Result<Option<StoredKey>, StoreError> {
        use private_keys::dsl as k;
        let mut conn = self.pool.get()?;
        Ok(k::private_keys
            .filter(k::deleted_at.is_null())
            .filter(k::role.eq(role))
            .filter(k::gun.eq(gun))
            .filter(k::algorithm.eq(algorithm))
            .filter(k::last_used.is_null())
            .order((k::key_id.asc(), k::id.asc()))
            .select(StoredKey::as_select())
            .first(&mut conn)
            .optional()?)
    }

    /// Inserts a new key row (one statement).
    pub fn insert(&self, row: &NewKey<'_>) -> Result<(), StoreError> {
        let mut conn = self.pool.get()?;
        diesel::insert_into(private_keys::table)
            .values(row)
            .execute(&mut conn)?;
        Ok(())
    }

    /// The live (not soft-deleted) row of `key_id`.
    pub fn get(&self, key_id: &str) -> Result<Option<StoredKey>, StoreError> {
        use private_keys::dsl as k;
        let mut conn = self.pool.get()?;
        Ok(k::private_keys
            .filter(k::deleted_at.is_null())
            .filter(k::key_id.eq(key_id))
            .order(k::id.asc())
            .select(StoredKey::as_select())
            .first(&mut conn)
            .optional()?)
    }

    /// Sets `last_used` (and `updated_at`) of a live key; `false` if no live row matched.
    pub fn mark_used(&self, key_id: &str, now: NaiveDateTime) -> Result<bool, StoreError> {
        use private_keys::dsl as k;
        let mut conn = self.pool.get()?;
        let n = diesel::update(
            k::private_keys
                .filter(k::deleted_at.is_null())
                .filter(k::key_id.eq(key_id)),
        )
        .set((k::last_used.eq(Some(now)), k::updated_at.eq(Some(now))))
        .execute(&mut conn)?;
        Ok(n > 0)
    }

    /// Soft-deletes a key (sets `deleted_at`); unknown or already deleted IDs are no-ops.
    pub fn soft_delete(&self, key_id: &str, now: NaiveDateTime) -> Result<(), StoreError> {
        use private_keys::dsl as k;
        let mut conn = self.pool.get()?;
        diesel::update(
            k::private_keys
                .filter(k::deleted_at.is_null())
                .filter(k::key_id.eq(key_id)),
        )
        .set(k::deleted_at.eq(Some(now)))
        .execute(&mut conn)?;
        Ok(())
    }

    /// Health probe: a connection within `timeout` and a query on `private_keys`.
    pub fn probe(&self, timeout: Duration) -> Result<(), StoreError> {
        use private_keys::dsl as k;
        let mut conn = self.pool.get_timeout(timeout).map_err(StoreError::Pool)?;
        k::private_keys
            .select(k::id)
            .limit(1)
            .load::<i32>(&mut conn)?;
        Ok(())
    }
}

//! The metadata store (spec-server §7): append-only `tuf_files` history plus the `changefeed`,
//! on SQLite, PostgreSQL or MySQL. Every call runs on the blocking thread pool.

mod connection;
mod maintenance;
mod schema;

use std::sync::Arc;
use std::time::Instant;

use chrono::{NaiveDateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use ring::digest;

pub use connection::AnyConnection;
use connection::DbPool;
pub use maintenance::{GunFile, PrunedRow};
use schema::{changefeed, tuf_files};

use crate::metrics::OpHistograms;

/// Which metadata store to use. `Debug` hides database passwords.
#[derive(Clone, PartialEq, Eq)]
pub enum StorageConfig {
    /// In-process SQLite at this path (`sqlite3` backend; `:memory:` allowed for tests).
    Sqlite(String),
    /// A `postgres://` URL.
    Postgres(String),
    /// A `mysql://` URL (Go DSNs `user:pass@tcp(host:port)/db?...` are converted).
    Mysql(String),
    /// Go's `memory` backend: served by an in-memory SQLite database.
    Memory,
}

impl std::fmt::Debug for StorageConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StorageConfig::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
            StorageConfig::Postgres(url) => f
                .debug_tuple("Postgres")
                .field(&notary_db::redact_db_url(url))
                .finish(),
            StorageConfig::Mysql(url) => f
                .debug_tuple("Mysql")
                .field(&notary_db::redact_db_url(url))
                .finish(),
            StorageConfig::Memory => f.write_str("Memory"),
        }
    }
}

/// Errors crossing the storage interface.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such row.
    #[error("No record found")]
    NotFound,
    /// A row with this (gun, role, version) or a newer version already exists.
    #[error("Error updating metadata. A newer version is already available")]
    OldVersion,
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    #[error("database migration failed: {0}")]
    Migration(String),
    #[error("database error: {0}")]
    Query(#[from] DieselError),
    #[error("database task failed: {0}")]
    Task(String),
}

/// One stored file.
#[derive(Debug, Clone)]
pub struct StoredFile {
    /// Row id (monotonic per table): used for change detection.
    pub id: i32,
    pub version: i32,
    /// Row time (`created_at`), UTC.
    pub created_at: NaiveDateTime,
    /// The `sha256` column: lower-case hex of `data` as written (Go and we always fill it).
    pub sha256: Option<String>,
    pub data: Vec<u8>,
}

/// One row to insert.
#[derive(Debug, Clone)]
pub struct NewFile {
    pub role: String,
    pub version: i32,
    pub data: Vec<u8>,
}

/// One changefeed row (spec-server §6.2).
#[derive(Debug, Clone)]
pub struct Change {
    pub id: i32,
    pub created_at: Option<NaiveDateTime>,
    pub gun: String,
    pub version: i32,
    pub sha256: Option<String>,
    pub category: String,
}

/// Row reads of one GUN on one connection (see [`Store::read`]).
pub struct Reader<'c> {
    conn: &'c mut AnyConnection,
    gun: &'c str,
}

impl Reader<'_> {
    /// The GUN's newest live timestamp row.
    pub fn newest_timestamp(&mut self) -> Result<Option<StoredFile>, StoreError> {
        Ok(tuf_files::table
            .filter(tuf_files::gun.eq(self.gun))
            .filter(tuf_files::role.eq("timestamp"))
            .filter(tuf_files::deleted_at.is_null())
            .order(tuf_files::version.desc())
            .select(FILE_COLUMNS)
            .first::<FileRow>(self.conn)
            .optional()
            .map(live)?)
    }

    /// The live row of `role` whose bytes hash to `sha256` (lower-case hex).
    pub fn by_checksum(
        &mut self,
        role: &str,
        sha256: &str,
    ) -> Result<Option<StoredFile>, StoreError> {
        select_by_checksum(self.conn, self.gun, role, sha256)
    }
}

/// The columns of a [`FileRow`].
const FILE_COLUMNS: (
    tuf_files::id,
    tuf_files::version,
    tuf_files::created_at,
    tuf_files::sha256,
    tuf_files::data,
) = (
    tuf_files::id,
    tuf_files::version,
    tuf_files::created_at,
    tuf_files::sha256,
    tuf_files::data,
);

fn select_by_checksum(
    c: &mut AnyConnection,
    gun: &str,
    role: &str,
    sha: &str,
) -> Result<Option<StoredFile>, StoreError> {
    Ok(tuf_files::table
        .filter(tuf_files::gun.eq(gun))
        .filter(tuf_files::role.eq(role))
        .filter(tuf_files::sha256.eq(sha))
        .filter(tuf_files::deleted_at.is_null())
        .select(FILE_COLUMNS)
        .first::<FileRow>(c)
        .optional()
        .map(live)?)
}

/// A row with no data is "not found" (Go: `TestGetHandlerNilData`), never an empty 200: every
/// read of file rows goes through here.
fn live(row: Option<FileRow>) -> Option<StoredFile> {
    row.map(to_file).filter(|f| !f.data.is_empty())
}

/// The handle every handler uses.
#[derive(Clone)]
pub struct Store {
    pool: DbPool,
    /// Latency per operation (`notary_server_db_duration_seconds`).
    timings: Arc<OpHistograms>,
}

type FileRow = (i32, i32, Option<NaiveDateTime>, Option<String>, Vec<u8>);

fn to_file(r: FileRow) -> StoredFile {
    StoredFile {
        id: r.0,
        version: r.1,
        created_at: r.2.unwrap_or_default(),
        sha256: r.3,
        data: r.4,
    }
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(digest::digest(&digest::SHA256, data))
}

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

impl Store {
    /// Connects and migrates (blocking; call at startup).
    pub fn open(cfg: &StorageConfig) -> Result<Store, StoreError> {
        Ok(Store {
            pool: connection::open(cfg)?,
            timings: Arc::default(),
        })
    }

    /// Records operation latencies into `timings` (the process metrics) from now on.
    pub fn with_timings(mut self, timings: Arc<OpHistograms>) -> Store {
        self.timings = timings;
        self
    }

    /// [`Store::run`], observing the latency (pool wait included) under the operation name.
    async fn timed<T, E, F>(&self, op: &'static str, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let started = Instant::now();
        let res = self.run(f).await;
        self.timings.observe(op, started.elapsed());
        res
    }

    /// Runs `f` on a pooled connection on the blocking thread pool.
    async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(|e| StoreError::Connect(e.to_string()))?;
            f(&mut conn)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// Runs `f` on one pooled connection with a [`Reader`] for `gun` (the chain resolver
    /// reads several rows this way in one blocking call). `op` names the operation in
    /// `notary_server_db_duration_seconds`.
    pub async fn read<T, E, F>(&self, op: &'static str, gun: &str, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Reader<'_>) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let gun = gun.to_string();
        self.timed(op, move |conn| f(&mut Reader { conn, gun: &gun }))
            .await
    }

    /// Id and version of the newest timestamp row of a GUN, if any (a cheap change probe).
    pub async fn timestamp_marker(&self, gun: &str) -> Result<Option<(i32, i32)>, StoreError> {
        let gun = gun.to_string();
        self.timed("timestamp_marker", move |c| {
            Ok(tuf_files::table
                .filter(tuf_files::gun.eq(&gun))
                .filter(tuf_files::role.eq("timestamp"))
                .filter(tuf_files::deleted_at.is_null())
                .order(tuf_files::version.desc())
                .select((tuf_files::id, tuf_files::version))
                .first::<(i32, i32)>(c)
                .optional()?)
        })
        .await
    }

    /// The row of (gun, role) whose data hashes to `sha256` (lower-case hex).
    pub async fn by_checksum(
        &self,
        gun: &str,
        role: &str,
        sha256: &str,
    ) -> Result<StoredFile, StoreError> {
        let (gun, role, sha) = (gun.to_string(), role.to_string(), sha256.to_string());
        self.timed("by_checksum", move |c| {
            select_by_checksum(c, &gun, &role, &sha)?.ok_or(StoreError::NotFound)
        })
        .await
    }

    /// The row of (gun, role) with this version.
    pub async fn by_version(
        &self,
        gun: &str,
        role: &str,
        version: i32,
    ) -> Result<StoredFile, StoreError> {
        let (gun, role) = (gun.to_string(), role.to_string());
        self.timed("by_version", move |c| {
            tuf_files::table
                .filter(tuf_files::gun.eq(&gun))
                .filter(tuf_files::role.eq(&role))
                .filter(tuf_files::version.eq(version))
                .filter(tuf_files::deleted_at.is_null())
                .select(FILE_COLUMNS)
                .first::<FileRow>(c)
                .optional()
                .map(live)?
                .ok_or(StoreError::NotFound)
        })
        .await
    }

    /// Inserts all rows, and a changefeed row after each timestamp, in one transaction
    /// (spec-server §7.3). Any conflict → [`StoreError::OldVersion`] and nothing is written.
    pub async fn update_many(&self, gun: &str, files: Vec<NewFile>) -> Result<(), StoreError> {
        let mut seen = std::collections::BTreeSet::new();
        for f in &files {
            if !seen.insert((f.role.clone(), f.version)) {
                return Err(StoreError::OldVersion);
            }
        }
        let gun = gun.to_string();
        self.timed("update_many", move |c| {
            write_tx(c, |c| {
                let mut min: std::collections::BTreeMap<&str, i32> = Default::default();
                for f in &files {
                    let e = min.entry(f.role.as_str()).or_insert(f.version);
                    *e = (*e).min(f.version);
                }
                for (role, v) in min {
                    let n: i64 = tuf_files::table
                        .filter(tuf_files::gun.eq(&gun))
                        .filter(tuf_files::role.eq(role))
                        .filter(tuf_files::version.ge(v))
                        .filter(tuf_files::deleted_at.is_null())
                        .count()
                        .get_result(c)?;
                    if n > 0 {
                        return Err(StoreError::OldVersion);
                    }
                }
                let t = now();
                for f in &files {
                    let sha = sha256_hex(&f.data);
                    diesel::insert_into(tuf_files::table)
                        .values((
                            tuf_files::created_at.eq(Some(t)),
                            tuf_files::updated_at.eq(Some(t)),
                            tuf_files::gun.eq(&gun),
                            tuf_files::role.eq(&f.role),
                            tuf_files::version.eq(f.version),
                            tuf_files::data.eq(&f.data),
                            tuf_files::sha256.eq(Some(&sha)),
                        ))
                        .execute(c)?;
                    if f.role == "timestamp" {
                        diesel::insert_into(changefeed::table)
                            .values((
                                changefeed::created_at.eq(Some(t)),
                                changefeed::gun.eq(&gun),
                                changefeed::version.eq(f.version),
                                changefeed::sha256.eq(Some(&sha)),
                                changefeed::category.eq("update"),
                            ))
                            .execute(c)?;
                    }
                }
                Ok(())
            })
        })
        .await
    }

    /// Hard-deletes every row of the GUN and records a `deletion` change if anything was removed
    /// (spec-server §6.1). Returns whether anything was removed.
    pub async fn delete(&self, gun: &str) -> Result<bool, StoreError> {
        let gun = gun.to_string();
        self.timed("delete", move |c| {
            write_tx(c, |c| {
                let n =
                    diesel::delete(tuf_files::table.filter(tuf_files::gun.eq(&gun))).execute(c)?;
                if n > 0 {
                    diesel::insert_into(changefeed::table)
                        .values((
                            changefeed::created_at.eq(Some(now())),
                            changefeed::gun.eq(&gun),
                            changefeed::version.eq(0),
                            changefeed::sha256.eq(Some("")),
                            changefeed::category.eq("deletion"),
                        ))
                        .execute(c)?;
                }
                Ok(n > 0)
            })
        })
        .await
    }

    /// A changefeed page (spec-server §6.2), always oldest → newest.
    pub async fn changes(
        &self,
        change_id: i64,
        records: i64,
        gun: Option<String>,
    ) -> Result<Vec<Change>, StoreError> {
        self.timed("changes", move |c| {
            let reversed = change_id < 0 || records < 0;
            let n = records.unsigned_abs().min(i64::MAX as u64) as i64;
            let mut q = changefeed::table.into_boxed();
            if let Some(g) = &gun {
                q = q.filter(changefeed::gun.eq(g.clone()));
            }
            let cid =
                i32::try_from(change_id).unwrap_or(if change_id < 0 { i32::MIN } else { i32::MAX });
            if reversed {
                if change_id > 0 {
                    q = q.filter(changefeed::id.lt(cid));
                }
                q = q.order(changefeed::id.desc());
            } else {
                q = q.filter(changefeed::id.gt(cid)).order(changefeed::id.asc());
            }
            let rows = q
                .limit(n)
                .select((
                    changefeed::id,
                    changefeed::created_at,
                    changefeed::gun,
                    changefeed::version,
                    changefeed::sha256,
                    changefeed::category,
                ))
                .load::<(
                    i32,
                    Option<NaiveDateTime>,
                    String,
                    i32,
                    Option<String>,
                    String,
                )>(c)?;
            let mut out: Vec<Change> = rows
                .into_iter()
                .map(|r| Change {
                    id: r.0,
                    created_at: r.1,
                    gun: r.2,
                    version: r.3,
                    sha256: r.4,
                    category: r.5,
                })
                .collect();
            if reversed {
                out.reverse();
            }
            Ok(out)
        })
        .await
    }

    /// The smallest `key(data)` over the current (newest) timestamp row of every GUN, e.g.
    /// the soonest timestamp expiry for the metrics. Reads only those rows' bytes: one grouped
    /// query for their ids (the newest row has the highest id, as versions only grow with
    /// inserts), then the bytes in chunks; parsing stays with the caller.
    pub async fn min_over_current_timestamps<T, F>(&self, key: F) -> Result<Option<T>, StoreError>
    where
        F: Fn(&[u8]) -> Option<T> + Send + 'static,
        T: Ord + Send + 'static,
    {
        self.timed("current_timestamps", move |c| {
            let ids: Vec<Option<i32>> = tuf_files::table
                .filter(tuf_files::role.eq("timestamp"))
                .filter(tuf_files::deleted_at.is_null())
                .group_by(tuf_files::gun)
                .select(diesel::dsl::max(tuf_files::id))
                .load(c)?;
            let ids: Vec<i32> = ids.into_iter().flatten().collect();
            let mut min: Option<T> = None;
            for chunk in ids.chunks(500) {
                let rows: Vec<Vec<u8>> = tuf_files::table
                    .filter(tuf_files::id.eq_any(chunk))
                    .select(tuf_files::data)
                    .load(c)?;
                for v in rows.iter().filter_map(|d| key(d)) {
                    if min.as_ref().is_none_or(|m| v < *m) {
                        min = Some(v);
                    }
                }
            }
            Ok(min)
        })
        .await
    }

    /// Health: the `tuf_files` table answers.
    pub async fn check(&self) -> Result<(), StoreError> {
        self.timed("check", |c| {
            tuf_files::table
                .select(tuf_files::id)
                .limit(1)
                .load::<i32>(c)?;
            Ok(())
        })
        .await
    }
}

/// Runs `f` in one write transaction. SQLite takes the write lock up front (`BEGIN IMMEDIATE`)
/// so that two writers queue on the busy timeout instead of failing on lock upgrade; unique
/// violations become [`StoreError::OldVersion`].
fn write_tx<T>(
    c: &mut AnyConnection,
    f: impl FnOnce(&mut AnyConnection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let res = if matches!(c, AnyConnection::Sqlite(_)) {
        c.batch_execute("BEGIN IMMEDIATE")?;
        match f(c) {
            Ok(v) => match c.batch_execute("COMMIT") {
                Ok(()) => Ok(v),
                Err(e) => {
                    let _ = c.batch_execute("ROLLBACK");
                    Err(e.into())
                }
            },
            Err(e) => {
                let _ = c.batch_execute("ROLLBACK");
                Err(e)
            }
        }
    } else {
        c.transaction::<T, StoreError, _>(f)
    };
    res.map_err(|e| match e {
        StoreError::Query(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            StoreError::OldVersion
        }
        other => other,
    })
}

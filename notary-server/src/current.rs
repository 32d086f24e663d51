//! "Current" metadata (spec-server §4.2–4.3): resolved through timestamp → snapshot → checksum,
//! with lazy re-signing of an expired snapshot/timestamp that is safe when several replicas race
//! (the loser of the insert re-reads and serves the winner's timestamp).

use std::sync::atomic::Ordering;

use actix_web::http::header::HeaderValue;
use bytes::Bytes;
use chrono::{DateTime, NaiveDateTime, Utc};
use notary_tuf::validation;

use crate::app::AppState;
use crate::cache::{self, CachedTimestamp, Freshness};
use crate::error::{ApiError, ErrorCode};
use crate::metadata::{self, SnapshotInfo, TimestampInfo};
use crate::storage::{sha256_hex, NewFile, StoreError, StoredFile};
use crate::validate;

/// A file to send with its validators, formatted once (a cached entry is served by cloning
/// reference-counted buffers, without formatting anything per request).
#[derive(Debug, Clone)]
pub struct Served {
    pub bytes: Bytes,
    /// `"<lower-case hex sha256 of bytes>"`.
    pub etag: HeaderValue,
    /// The row time as an HTTP date.
    pub last_modified: HeaderValue,
}

impl Served {
    /// `bytes` stored at `modified`.
    pub fn new(bytes: Bytes, modified: DateTime<Utc>) -> Served {
        let etag = format!("\"{}\"", sha256_hex(&bytes));
        Served {
            etag: ascii_header(etag),
            last_modified: ascii_header(httpdate::fmt_http_date(modified.into())),
            bytes,
        }
    }

    pub fn from_row(f: StoredFile) -> Served {
        Served::new(Bytes::from(f.data), utc(f.created_at))
    }
}

/// A header value from text that is visible ASCII by construction (hex, HTTP dates); the
/// fallback is unreachable and only avoids a panic path.
fn ascii_header(s: String) -> HeaderValue {
    HeaderValue::try_from(s).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(t, Utc)
}

fn unknown(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "cannot serve current metadata");
    ApiError::with_detail(ErrorCode::Unknown, serde_json::json!({}))
}

/// The current timestamp row and the snapshot it names.
struct Chain {
    ts: StoredFile,
    ts_info: TimestampInfo,
    snap: StoredFile,
    snap_info: SnapshotInfo,
}

fn snapshot_sha(ts: &[u8]) -> Option<String> {
    metadata::parse_timestamp(ts).ok()?.snapshot_sha256_hex()
}

fn role_sha(snap: &[u8], role: &str) -> Option<String> {
    metadata::parse_snapshot(snap)
        .ok()?
        .role_sha256
        .get(role)
        .cloned()
}

/// The chain plus the current files of `roles`, read on one connection.
async fn load_chain_with(
    state: &AppState,
    gun: &str,
    roles: Vec<String>,
) -> Result<(Chain, Vec<(String, StoredFile)>), ApiError> {
    let rows = state
        .store
        .current_chain(gun, roles, snapshot_sha, role_sha)
        .await?;
    let ts_info = metadata::parse_timestamp(&rows.timestamp.data).map_err(unknown)?;
    if ts_info.snapshot_sha256_hex().is_none() {
        return Err(unknown("timestamp without snapshot sha256"));
    }
    let snap = rows.snapshot.ok_or_else(ApiError::not_found)?;
    let snap_info = metadata::parse_snapshot(&snap.data).map_err(unknown)?;
    Ok((
        Chain {
            ts: rows.timestamp,
            ts_info,
            snap,
            snap_info,
        },
        rows.roles,
    ))
}

async fn load_chain(state: &AppState, gun: &str) -> Result<Chain, ApiError> {
    Ok(load_chain_with(state, gun, Vec::new()).await?.0)
}

/// The current file of `root`, `targets` or a delegation: the version the current snapshot
/// names. A role the snapshot does not list is a 404.
pub async fn role(state: &AppState, gun: &str, role: &str) -> Result<Served, ApiError> {
    let (_, mut files) = load_chain_with(state, gun, vec![role.to_string()]).await?;
    match files.pop() {
        Some((_, f)) => Ok(Served::from_row(f)),
        None => Err(ApiError::not_found()),
    }
}

/// The current snapshot (after the timestamp procedure, so expired files are refreshed first).
pub async fn snapshot(state: &AppState, gun: &str) -> Result<Served, ApiError> {
    let ts = timestamp(state, gun).await?;
    let info = metadata::parse_timestamp(&ts.bytes).map_err(unknown)?;
    let sha = info
        .snapshot_sha256_hex()
        .ok_or_else(|| unknown("timestamp without snapshot sha256"))?;
    Ok(Served::from_row(
        state.store.by_checksum(gun, "snapshot", &sha).await?,
    ))
}

/// The current timestamp, from memory when nothing changed (see [`crate::cache`]), re-signed
/// when it or its snapshot has expired.
pub async fn timestamp(state: &AppState, gun: &str) -> Result<Served, ApiError> {
    if let Some(e) = state.cache.get(gun) {
        if Utc::now() < e.fresh_until && confirmed(state, gun, &e).await {
            state
                .metrics
                .timestamp_cache_hits
                .fetch_add(1, Ordering::Relaxed);
            return Ok(e.served.clone());
        }
        state.cache.remove(gun);
    }
    state
        .metrics
        .timestamp_cache_misses
        .fetch_add(1, Ordering::Relaxed);

    // A lost race (another writer inserted the same versions) is followed by a re-read.
    for _ in 0..4 {
        let epoch = state.cache.epoch();
        let read_at = cache::monotonic_nanos();
        let chain = load_chain(state, gun).await?;
        let now = Utc::now();
        if chain.snap_info.expires > now
            && chain.ts_info.expires > now
            && metadata::hashes_match(&chain.ts_info.snapshot_hashes, &chain.snap.data)
        {
            let served = Served::from_row(chain.ts.clone());
            state.cache.put(
                gun,
                CachedTimestamp::new(
                    served.clone(),
                    chain.ts.id,
                    chain.ts_info.expires.min(chain.snap_info.expires),
                    read_at,
                ),
                epoch,
            );
            return Ok(served);
        }
        match regenerate(state, gun, &chain, now).await {
            Ok(served) => return Ok(served),
            Err(Regen::Raced) => continue,
            Err(Regen::Failed(e)) => return Err(e),
        }
    }
    Err(unknown("timestamp regeneration kept racing"))
}

/// Whether a cached entry may be served: recently confirmed, or confirmed now by the database
/// (see [`crate::cache`] for the refresh-ahead rule). `false` means the entry is outdated or
/// the check failed; the caller drops it and reads the database.
async fn confirmed(state: &AppState, gun: &str, e: &CachedTimestamp) -> bool {
    let check = || async {
        let started = cache::monotonic_nanos();
        match state.store.timestamp_marker(gun).await {
            Ok(Some((id, _))) if id == e.row_id => {
                e.mark_checked(started);
                true
            }
            _ => false,
        }
    };
    match e.freshness(cache::monotonic_nanos()) {
        Freshness::Fresh => true,
        Freshness::RefreshAhead => match e.begin_refresh() {
            // This request confirms the entry for everyone; the others serve it meanwhile.
            Some(_claim) => check().await,
            None => true,
        },
        Freshness::Stale => check().await,
    }
}

enum Regen {
    Raced,
    Failed(ApiError),
}

impl From<ApiError> for Regen {
    fn from(e: ApiError) -> Self {
        Regen::Failed(e)
    }
}

/// Re-signs the snapshot (if expired) and the timestamp (notary-tuf decides, after fully
/// validating the current root) and stores both in one transaction.
async fn regenerate(
    state: &AppState,
    gun: &str,
    chain: &Chain,
    now: DateTime<Utc>,
) -> Result<Served, Regen> {
    let root_sha = chain
        .snap_info
        .role_sha256
        .get("root")
        .ok_or_else(|| unknown("snapshot does not list root"))?;
    let root = state
        .store
        .by_checksum(gun, "root", root_sha)
        .await
        .map_err(|e| Regen::Failed(unknown(e)))?;
    let mut files = Vec::new();
    let mut snap_bytes = chain.snap.data.clone();
    let resign = validation::snapshot_to_resign(gun, &root.data, &chain.snap.data, now)
        .and_then(|t| {
            t.map(|t| validate::with_lifetime(t, &state.expiry, now))
                .transpose()
        })
        .map_err(|e| unknown(e.msg()))?;
    let snapshot_resigned = resign.is_some();
    if let Some(t) = resign {
        let f = validate::sign(state, &t).await.map_err(unknown)?;
        snap_bytes = f.bytes.clone();
        files.push(f);
    }
    let resign = validation::timestamp_to_resign(gun, &root.data, &snap_bytes, &chain.ts.data, now)
        .and_then(|t| {
            t.map(|t| validate::with_lifetime(t, &state.expiry, now))
                .transpose()
        })
        .map_err(|e| unknown(e.msg()))?;
    let Some(t) = resign else {
        // Nothing to re-sign after all (e.g. the clock moved): serve what is stored.
        return Ok(Served::from_row(chain.ts.clone()));
    };
    let ts = validate::sign(state, &t).await.map_err(unknown)?;
    let ts_bytes = ts.bytes.clone();
    files.push(ts);
    let mut rows = Vec::new();
    for f in files {
        rows.push(NewFile {
            role: f.role.as_str().to_string(),
            version: i32::try_from(f.version).map_err(|_| unknown("version overflow"))?,
            data: f.bytes,
        });
    }
    match state.store.update_many(gun, rows).await {
        Ok(()) => {}
        Err(StoreError::OldVersion) => return Err(Regen::Raced),
        Err(e) => return Err(unknown(e).into()),
    }
    state.cache.remove(gun);
    state
        .metrics
        .timestamp_regenerations
        .fetch_add(1, Ordering::Relaxed);
    if snapshot_resigned {
        state
            .metrics
            .snapshot_regenerations
            .fetch_add(1, Ordering::Relaxed);
    }
    Ok(Served::new(Bytes::from(ts_bytes), now))
}

//! Server-generated snapshot and timestamp contents (spec-server §3.10, §3.11, §10.6, §10.8).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use super::builder::{self, Builder};
use super::{ToSign, ValidationError};
use crate::cjson;
use crate::data::{FileMeta, RoleName, Root, SignedFile, Snapshot, Timestamp};
use crate::error::TufError;

/// Lifetimes of the snapshots and timestamps the server generates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    /// How long a generated timestamp is valid.
    pub timestamp: Duration,
    /// How long a generated snapshot is valid.
    pub snapshot: Duration,
}

impl Default for Lifetimes {
    /// The Go server's: 14 days for timestamps, 3 × 365 days for snapshots.
    fn default() -> Self {
        Lifetimes {
            timestamp: Duration::days(TIMESTAMP_EXPIRY_DAYS),
            snapshot: Duration::days(SNAPSHOT_EXPIRY_DAYS),
        }
    }
}

/// When metadata is generated and how long it stays valid: `now` is the time checks run
/// against and the start of every generated lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moment {
    /// The current time.
    pub now: DateTime<Utc>,
    /// Lifetimes of generated metadata.
    pub lifetimes: Lifetimes,
}

impl From<DateTime<Utc>> for Moment {
    /// `now` with the default [`Lifetimes`].
    fn from(now: DateTime<Utc>) -> Self {
        Moment {
            now,
            lifetimes: Lifetimes::default(),
        }
    }
}

/// Server-generated snapshot lifetime: 3 × 365 days.
pub const SNAPSHOT_EXPIRY_DAYS: i64 = 3 * 365;
/// Server-generated timestamp lifetime: 14 days.
pub const TIMESTAMP_EXPIRY_DAYS: i64 = 14;

/// Parse a stored previous snapshot/timestamp the way Go's `json.Unmarshal` into the typed
/// signed struct does: a JSON or type error is fatal (no detail); a missing `signed` is an empty
/// role object, which then fails the structure check.
fn parse_prev<T>(bytes: &[u8]) -> Result<Option<T>, ValidationError>
where
    T: serde::de::DeserializeOwned,
{
    match SignedFile::<T>::parse(bytes) {
        Ok(f) => Ok(Some(f.signed)),
        Err(TufError::MissingSigned) => Ok(None),
        Err(e) => Err(ValidationError::no_detail(e)),
    }
}

fn canonical<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, ValidationError> {
    cjson::to_canonical(v).map_err(ValidationError::validation)
}

/// Go `GenerateSnapshot` + `SignSnapshot` up to the signing: start from `prev` (structure
/// checked, signatures not) or from nothing (then `targets` must be loaded), overwrite the
/// entries of every file loaded in the builder with file meta of its exact bytes, bump the
/// version, expire after `lifetime`.
pub(crate) fn snapshot_to_sign(
    b: &Builder,
    prev: Option<&[u8]>,
    lifetime: Duration,
) -> Result<ToSign, ValidationError> {
    let root = &b
        .root
        .as_ref()
        .ok_or_else(|| ValidationError::validation("root must be loaded first"))?
        .root;
    let (mut meta, prev_version) = match prev {
        None => {
            if !b.is_loaded(&RoleName::Targets) {
                return Err(ValidationError::validation("targets must be loaded first"));
            }
            (BTreeMap::new(), 0)
        }
        Some(bytes) => {
            let sn: Snapshot = parse_prev(bytes)?.unwrap_or_else(empty_snapshot);
            builder::check_snapshot_structure(&sn).map_err(ValidationError::validation)?;
            (sn.meta, sn.version)
        }
    };
    for (name, bytes) in b.loaded_files() {
        meta.insert(name, FileMeta::from_bytes(bytes));
    }
    let version = prev_version + 1;
    let snapshot = Snapshot::new(b.now + lifetime, version, meta);
    to_sign(RoleName::Snapshot, version, &snapshot, root)
}

/// The request to sign `object` as version `version` of `role` (a base role of `root`).
fn to_sign<T: serde::Serialize>(
    role: RoleName,
    version: i64,
    object: &T,
    root: &Root,
) -> Result<ToSign, ValidationError> {
    let keys = builder::base_role(root, role.as_str()).map_err(ValidationError::validation)?;
    Ok(ToSign {
        role,
        version,
        canonical: canonical(object)?,
        keys,
    })
}

fn empty_snapshot() -> Snapshot {
    Snapshot {
        type_: String::new(),
        expires: cjson::zero_time(),
        meta: BTreeMap::new(),
        version: 0,
        extra: BTreeMap::new(),
    }
}

fn empty_timestamp() -> Timestamp {
    Timestamp {
        type_: String::new(),
        expires: cjson::zero_time(),
        meta: BTreeMap::new(),
        version: 0,
        extra: BTreeMap::new(),
    }
}

/// Go `GenerateTimestamp` + `SignTimestamp` up to the signing (spec-server §3.11).
pub(crate) fn timestamp_to_sign(
    prev: Option<&[u8]>,
    snapshot_bytes: &[u8],
    root: &Root,
    at: Moment,
) -> Result<ToSign, ValidationError> {
    let prev_version = match prev {
        None => 0,
        Some(bytes) => {
            let ts: Timestamp = parse_prev(bytes)?.unwrap_or_else(empty_timestamp);
            builder::check_timestamp_structure(&ts).map_err(ValidationError::validation)?;
            ts.version
        }
    };
    let version = prev_version + 1;
    let ts = Timestamp::new(at.now + at.lifetimes.timestamp, version, snapshot_bytes);
    to_sign(RoleName::Timestamp, version, &ts, root)
}

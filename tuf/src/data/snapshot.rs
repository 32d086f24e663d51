//! Snapshot and timestamp role objects (spec-server §10.4).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::file_meta::FileMeta;

role_object! {
    /// The `signed` object of `snapshot.json`: role name → file meta.
    ///
    /// When the server generates a snapshot it must write exactly `{_type, expires, meta,
    /// version}` (spec-server §10.6): clear `extra` before signing a modified copy.
    pub struct Snapshot = "Snapshot" {
        expires,
        /// Role name → meta (length, hashes) of that role's current file.
        pub meta: BTreeMap<String, FileMeta>,
    }
}

impl Snapshot {
    /// A fresh snapshot object with no unknown members.
    pub fn new(expires: DateTime<Utc>, version: i64, meta: BTreeMap<String, FileMeta>) -> Self {
        Snapshot {
            type_: Self::TYPE.to_string(),
            expires,
            meta,
            version,
            extra: BTreeMap::new(),
        }
    }
}

role_object! {
    /// The `signed` object of `timestamp.json`: `meta` holds only `snapshot`.
    ///
    /// Same rule as [`Snapshot`]: generated timestamps carry no extra members.
    pub struct Timestamp = "Timestamp" {
        expires,
        /// `snapshot` → meta (length, hashes) of the current `snapshot.json`.
        pub meta: BTreeMap<String, FileMeta>,
    }
}

impl Timestamp {
    /// A fresh timestamp object whose `meta` is `{"snapshot": <meta of snapshot_bytes>}`.
    pub fn new(expires: DateTime<Utc>, version: i64, snapshot_bytes: &[u8]) -> Self {
        let meta = BTreeMap::from([("snapshot".to_string(), FileMeta::from_bytes(snapshot_bytes))]);
        Timestamp {
            type_: Self::TYPE.to_string(),
            expires,
            meta,
            version,
            extra: BTreeMap::new(),
        }
    }
}

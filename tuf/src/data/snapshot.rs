//! Snapshot and timestamp role objects (spec-server §10.4).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::file_meta::FileMeta;
use super::serde_util::{self, nullable};
use crate::cjson;

/// The `signed` object of `snapshot.json`: role name → file meta.
///
/// When the server generates a snapshot it must write exactly `{_type, expires, meta,
/// version}` (spec-server §10.6): clear `extra` before signing a modified copy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    #[serde(rename = "_type", default, deserialize_with = "nullable")]
    pub type_: String,
    #[serde(default = "cjson::zero_time", with = "serde_util::time")]
    pub expires: DateTime<Utc>,
    #[serde(default, deserialize_with = "nullable")]
    pub meta: BTreeMap<String, FileMeta>,
    #[serde(default, deserialize_with = "nullable")]
    pub version: i64,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl Snapshot {
    pub const TYPE: &'static str = "Snapshot";

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

/// The `signed` object of `timestamp.json`: `meta` holds only `snapshot`.
///
/// Same rule as [`Snapshot`]: generated timestamps carry no extra members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timestamp {
    #[serde(rename = "_type", default, deserialize_with = "nullable")]
    pub type_: String,
    #[serde(default = "cjson::zero_time", with = "serde_util::time")]
    pub expires: DateTime<Utc>,
    #[serde(default, deserialize_with = "nullable")]
    pub meta: BTreeMap<String, FileMeta>,
    #[serde(default, deserialize_with = "nullable")]
    pub version: i64,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl Timestamp {
    pub const TYPE: &'static str = "Timestamp";

    /// A fresh timestamp object whose `meta` is `{"snapshot": <meta of snapshot_bytes>}`.
    pub fn new(expires: DateTime<Utc>, version: i64, snapshot_bytes: &[u8]) -> Self {
        let mut meta = BTreeMap::new();
        meta.insert("snapshot".to_string(), FileMeta::from_bytes(snapshot_bytes));
        Timestamp {
            type_: Self::TYPE.to_string(),
            expires,
            meta,
            version,
            extra: BTreeMap::new(),
        }
    }
}

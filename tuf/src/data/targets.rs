//! Targets and delegation role objects (spec-server §10.4).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::file_meta::FileMeta;
use super::keys::PublicKey;
use super::serde_util::{self, nullable};
use crate::cjson;

/// One entry of `delegations.roles`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DelegationRole {
    #[serde(default, deserialize_with = "nullable")]
    pub keyids: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    /// Omitted when empty. `""` means all paths; matching is plain string-prefix.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub paths: Vec<String>,
    /// Not supported by notary 0.7 (never written by its clients); kept for round trips.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub path_hash_prefixes: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub threshold: i64,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl DelegationRole {
    /// Go `Role.CheckPaths`: some path is a string prefix of `target`.
    pub fn check_path(&self, target: &str) -> bool {
        self.paths.iter().any(|p| target.starts_with(p.as_str()))
    }
}

/// `delegations`: always emitted (as `{"keys":{},"roles":[]}` when empty), optional on input.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Delegations {
    #[serde(default, deserialize_with = "nullable")]
    pub keys: BTreeMap<String, PublicKey>,
    #[serde(default, deserialize_with = "nullable")]
    pub roles: Vec<DelegationRole>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// The `signed` object of `targets.json` and of delegation files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Targets {
    /// Must be `Targets` (also for delegations).
    #[serde(rename = "_type", default, deserialize_with = "nullable")]
    pub type_: String,
    #[serde(default, deserialize_with = "nullable")]
    pub delegations: Delegations,
    #[serde(default = "cjson::zero_time", with = "serde_util::time")]
    pub expires: DateTime<Utc>,
    #[serde(default, deserialize_with = "nullable")]
    pub targets: BTreeMap<String, FileMeta>,
    #[serde(default, deserialize_with = "nullable")]
    pub version: i64,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl Targets {
    pub const TYPE: &'static str = "Targets";
}

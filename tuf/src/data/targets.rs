//! Targets and delegation role objects (spec-server §10.4).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::file_meta::FileMeta;
use super::keys::PublicKey;
use super::serde_util::nullable;

/// One entry of `delegations.roles`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DelegationRole {
    /// The IDs of the delegation's keys (entries of `delegations.keys`).
    #[serde(default, deserialize_with = "nullable")]
    pub keyids: Vec<String>,
    /// The delegated role's name, e.g. `targets/releases`.
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
    /// How many of its keys must sign the delegated role's metadata.
    #[serde(default, deserialize_with = "nullable")]
    pub threshold: i64,
    /// Unknown members, kept so re-serialising is lossless.
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
    /// Key ID (as written) → key, for the delegations' `keyids`.
    #[serde(default, deserialize_with = "nullable")]
    pub keys: BTreeMap<String, PublicKey>,
    /// The delegated roles.
    #[serde(default, deserialize_with = "nullable")]
    pub roles: Vec<DelegationRole>,
    /// Unknown members, kept so re-serialising is lossless.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

role_object! {
    /// The `signed` object of `targets.json` and of delegation files (whose `_type` is
    /// `Targets` too).
    pub struct Targets = "Targets" {
        /// The roles this one delegates to (output as `{"keys":{},"roles":[]}` when none).
        pub delegations: Delegations,
        expires,
        /// Target name → file meta.
        pub targets: BTreeMap<String, FileMeta>,
    }
}

//! The root role object (spec-server §10.4).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::keys::PublicKey;
use super::serde_util::nullable;

role_object! {
    /// The `signed` object of `root.json`.
    pub struct Root = "Root" {
        /// `consistent_snapshot`: carried through; notary does not use it.
        pub consistent_snapshot: bool,
        expires,
        /// Key ID (as written) → key.
        pub keys: BTreeMap<String, PublicKey>,
        /// Role name → key IDs + threshold. Extra roles are tolerated.
        pub roles: BTreeMap<String, RootRole>,
    }
}

/// `{"keyids":[...],"threshold":n}` inside `root.roles`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RootRole {
    /// The IDs of the role's keys (entries of the root's `keys`).
    #[serde(default, deserialize_with = "nullable")]
    pub keyids: Vec<String>,
    /// How many of those keys must sign the role's metadata.
    #[serde(default, deserialize_with = "nullable")]
    pub threshold: i64,
    /// Unknown members, kept so re-serialising is lossless.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

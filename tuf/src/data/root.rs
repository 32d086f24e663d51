//! The root role object (spec-server §10.4).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::keys::PublicKey;
use super::serde_util::{self, nullable};
use crate::cjson;

/// `{"keyids":[...],"threshold":n}` inside `root.roles`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RootRole {
    #[serde(default, deserialize_with = "nullable")]
    pub keyids: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub threshold: i64,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// The `signed` object of `root.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Root {
    /// Must be `Root`.
    #[serde(rename = "_type", default, deserialize_with = "nullable")]
    pub type_: String,
    #[serde(default, deserialize_with = "nullable")]
    pub consistent_snapshot: bool,
    #[serde(default = "cjson::zero_time", with = "serde_util::time")]
    pub expires: DateTime<Utc>,
    /// Key ID (as written) → key.
    #[serde(default, deserialize_with = "nullable")]
    pub keys: BTreeMap<String, PublicKey>,
    /// Role name → key IDs + threshold. Extra roles are tolerated.
    #[serde(default, deserialize_with = "nullable")]
    pub roles: BTreeMap<String, RootRole>,
    #[serde(default, deserialize_with = "nullable")]
    pub version: i64,
    /// Unknown members, kept so re-serialising is lossless.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl Root {
    pub const TYPE: &'static str = "Root";
}

//! Typed views of stored metadata for the server's read path: the few fields that resolve the
//! current chain (timestamp → snapshot → role checksums), expiries for the cache and metrics,
//! the keys a root names for a role, and the targets and delegations of a targets file. One decode per file, straight from the bytes into
//! these structs (no intermediate JSON tree); unknown members are skipped.
//!
//! A view trusts nothing: it is what a file says, used to find the next file. Everything that
//! decides trust (signatures, thresholds, versions) goes through [`crate::validation`].
//!
//! Views are strict where the read path needs a field: a stored timestamp without
//! `signed.version`, `signed.expires` or `meta.snapshot` is corrupt, not "version 0".

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::data::serde_util::time;
use crate::data::{Delegations, FileMeta, KeyType, PublicKey};
use crate::error::TufError;

/// The parts of an envelope a view reads: `signed` only (signatures are not looked at).
#[derive(Deserialize)]
struct Outer<T> {
    signed: T,
}

fn decode<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, TufError> {
    Ok(serde_json::from_slice::<Outer<T>>(bytes)?.signed)
}

/// Lower-case hex of a file meta's sha256, when it has a well-formed one.
fn sha256_hex(meta: &FileMeta) -> Option<String> {
    meta.sha256().filter(|h| h.len() == 32).map(hex::encode)
}

/// What the read path needs from a timestamp.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TimestampView {
    /// `signed.version`.
    pub version: i64,
    /// `signed.expires`.
    #[serde(with = "time")]
    pub expires: DateTime<Utc>,
    #[serde(rename = "meta")]
    meta: TimestampMeta,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct TimestampMeta {
    snapshot: FileMeta,
}

impl TimestampView {
    /// Decodes a stored timestamp. Errors: not JSON, no `signed` object, or a missing or
    /// mistyped `version`, `expires` or `meta.snapshot`.
    pub fn parse(bytes: &[u8]) -> Result<TimestampView, TufError> {
        decode(bytes)
    }

    /// The file meta of the snapshot this timestamp names.
    pub fn snapshot(&self) -> &FileMeta {
        &self.meta.snapshot
    }

    /// Lower-case hex sha256 of the snapshot this timestamp names (the key to fetch it by).
    pub fn snapshot_sha256_hex(&self) -> Option<String> {
        sha256_hex(&self.meta.snapshot)
    }

    /// Whether `snapshot` has every supported hash this timestamp lists (and at least one).
    pub fn names_snapshot(&self, snapshot: &[u8]) -> bool {
        self.meta
            .snapshot
            .verify_hashes(snapshot, "snapshot")
            .is_ok()
    }
}

/// What the read path needs from a snapshot.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SnapshotView {
    /// `signed.version`.
    pub version: i64,
    /// `signed.expires`.
    #[serde(with = "time")]
    pub expires: DateTime<Utc>,
    /// role → file meta, as listed.
    #[serde(default)]
    pub meta: BTreeMap<String, FileMeta>,
}

impl SnapshotView {
    /// Decodes a stored snapshot. Errors: not JSON, no `signed` object, or a missing or
    /// mistyped `version` or `expires`, or a malformed `meta` entry.
    pub fn parse(bytes: &[u8]) -> Result<SnapshotView, TufError> {
        decode(bytes)
    }

    /// Lower-case hex sha256 of the version of `role` this snapshot names.
    pub fn role_sha256_hex(&self, role: &str) -> Option<String> {
        self.meta.get(role).and_then(sha256_hex)
    }
}

#[derive(Debug, Clone, Deserialize)]
struct WireKey {
    keytype: String,
    keyval: WireKeyVal,
}

#[derive(Debug, Clone, Deserialize)]
struct WireKeyVal {
    #[serde(default, with = "crate::data::serde_util::b64")]
    public: Vec<u8>,
}

#[derive(Debug, Clone, Deserialize)]
struct WireRole {
    #[serde(default)]
    keyids: Vec<String>,
    #[serde(default)]
    threshold: i64,
}

/// What the key endpoints and operators need from a root: its expiry and the keys of each
/// base role.
#[derive(Debug, Clone, Deserialize)]
pub struct RootView {
    /// `signed.version`.
    pub version: i64,
    /// `signed.expires`.
    #[serde(with = "time")]
    pub expires: DateTime<Utc>,
    #[serde(default)]
    keys: BTreeMap<String, WireKey>,
    #[serde(default)]
    roles: BTreeMap<String, WireRole>,
}

/// One key a root lists for a role: its TUF key ID (as written in the root) and public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedKey {
    /// The key ID the root uses for it.
    pub id: String,
    /// The public key as listed.
    pub key: PublicKey,
}

fn invalid_root(msg: String) -> TufError {
    TufError::InvalidMetadata {
        role: "root".to_string(),
        msg,
    }
}

impl RootView {
    /// Decodes a stored root. Errors: not JSON, no `signed` object, a missing or mistyped
    /// `version` or `expires`, or malformed `keys` / `roles`.
    pub fn parse(bytes: &[u8]) -> Result<RootView, TufError> {
        decode(bytes)
    }

    /// The keys the root lists for `role` (each ID once, in listed order) and its threshold.
    /// Errors: no such role, a threshold below 1, or a key ID without a key.
    pub fn role_keys(&self, role: &str) -> Result<(Vec<ListedKey>, i64), TufError> {
        let r = self
            .roles
            .get(role)
            .ok_or_else(|| invalid_root(format!("missing {role} role specification")))?;
        if r.threshold < 1 {
            return Err(invalid_root(format!("invalid threshold for {role}")));
        }
        let mut out: Vec<ListedKey> = Vec::new();
        for id in &r.keyids {
            if out.iter().any(|k| &k.id == id) {
                continue;
            }
            let k = self
                .keys
                .get(id)
                .ok_or_else(|| invalid_root(format!("key ID {id} without corresponding key")))?;
            out.push(ListedKey {
                id: id.clone(),
                key: PublicKey::new(KeyType::parse(&k.keytype), k.keyval.public.clone()),
            });
        }
        Ok((out, r.threshold))
    }
}

/// What readers need from a `targets` or delegation file: its expiry, the signed targets and
/// the delegations it makes (e.g. to show which role signs a tag).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TargetsView {
    /// `signed.version`.
    pub version: i64,
    /// `signed.expires`.
    #[serde(with = "time")]
    pub expires: DateTime<Utc>,
    /// Target name (e.g. a tag) → length and hashes.
    #[serde(default)]
    pub targets: BTreeMap<String, FileMeta>,
    /// Delegated roles with their keys, thresholds and paths.
    #[serde(default)]
    pub delegations: Delegations,
}

impl TargetsView {
    /// Decodes a stored targets or delegation file. Errors: not JSON, no `signed` object, a
    /// missing or mistyped `version` or `expires`, or malformed `targets` / `delegations`.
    pub fn parse(bytes: &[u8]) -> Result<TargetsView, TufError> {
        decode(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts_bytes(snapshot: &[u8]) -> Vec<u8> {
        let meta = serde_json::to_value(FileMeta::from_bytes(snapshot)).unwrap();
        serde_json::to_vec(&serde_json::json!({
            "signed": {"_type": "Timestamp", "version": 7, "expires": "2030-01-02T03:04:05Z",
                       "meta": {"snapshot": meta}, "other": [1, 2]},
            "signatures": []
        }))
        .unwrap()
    }

    #[test]
    fn timestamp_names_its_snapshot() {
        let t = TimestampView::parse(&ts_bytes(b"snap")).unwrap();
        assert_eq!(t.version, 7);
        assert_eq!(t.expires.to_rfc3339(), "2030-01-02T03:04:05+00:00");
        assert!(t.names_snapshot(b"snap"));
        assert!(!t.names_snapshot(b"snaq"));
        assert_eq!(
            t.snapshot_sha256_hex().unwrap(),
            hex::encode(ring::digest::digest(&ring::digest::SHA256, b"snap"))
        );
    }

    #[test]
    fn corrupt_timestamps_are_errors() {
        for bad in [
            &b"not json"[..],
            b"{}",
            b"{\"signed\":null}",
            b"{\"signed\":{\"version\":1,\"expires\":\"2030-01-01T00:00:00Z\"}}",
            b"{\"signed\":{\"expires\":\"2030-01-01T00:00:00Z\",\"meta\":{\"snapshot\":{}}}}",
            b"{\"signed\":{\"version\":1,\"expires\":\"soon\",\"meta\":{\"snapshot\":{}}}}",
            b"{\"signed\":{\"version\":1.5,\"expires\":\"2030-01-01T00:00:00Z\",\"meta\":{\"snapshot\":{}}}}",
        ] {
            assert!(TimestampView::parse(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        // No usable sha256: parsed, but names no snapshot.
        let t = TimestampView::parse(
            b"{\"signed\":{\"version\":1,\"expires\":\"2030-01-01T00:00:00Z\",\"meta\":{\"snapshot\":{}}}}",
        )
        .unwrap();
        assert_eq!(t.snapshot_sha256_hex(), None);
        assert!(!t.names_snapshot(b""));
    }

    #[test]
    fn snapshot_role_checksums() {
        let meta = serde_json::to_value(FileMeta::from_bytes(b"root")).unwrap();
        let bytes = serde_json::to_vec(&serde_json::json!({
            "signed": {"version": 2, "expires": "2030-01-01T00:00:00Z",
                       "meta": {"root": meta, "targets": {"hashes": {"sha256": "AAAA"}}}}
        }))
        .unwrap();
        let s = SnapshotView::parse(&bytes).unwrap();
        assert_eq!(s.version, 2);
        assert!(s.role_sha256_hex("root").is_some());
        assert_eq!(s.role_sha256_hex("targets"), None, "short digest ignored");
        assert_eq!(s.role_sha256_hex("targets/x"), None);
    }

    #[test]
    fn targets_and_delegations() {
        let bytes = br#"{"signed":{"_type":"Targets","version":3,"expires":"2030-01-01T00:00:00Z",
            "targets":{"v1":{"length":3,"hashes":{"sha256":"AAAA"}}},
            "delegations":{"keys":{"k1":{"keytype":"ecdsa","keyval":{"public":"AQI=","private":null}}},
                           "roles":[{"name":"targets/releases","keyids":["k1"],"threshold":1,"paths":[""]}]}}}"#;
        let t = TargetsView::parse(bytes).unwrap();
        assert_eq!(t.version, 3);
        assert_eq!(t.targets["v1"].length, 3);
        assert_eq!(t.delegations.roles[0].name, "targets/releases");
        assert!(t.delegations.roles[0].check_path("anything"));
        assert!(t.delegations.keys.contains_key("k1"));
        let bare =
            TargetsView::parse(br#"{"signed":{"version":1,"expires":"2030-01-01T00:00:00Z"}}"#)
                .unwrap();
        assert!(bare.targets.is_empty() && bare.delegations.roles.is_empty());
        assert!(TargetsView::parse(br#"{"signed":{"version":1}}"#).is_err());
    }

    #[test]
    fn root_role_keys() {
        let bytes = br#"{"signed":{"version":1,"expires":"2030-01-01T00:00:00Z",
            "keys":{"k1":{"keytype":"ecdsa","keyval":{"public":"AQI=","private":null}}},
            "roles":{"timestamp":{"keyids":["k1","k1"],"threshold":1},
                     "snapshot":{"keyids":["k2"],"threshold":1},
                     "targets":{"keyids":["k1"],"threshold":0}}}}"#;
        let r = RootView::parse(bytes).unwrap();
        let (keys, threshold) = r.role_keys("timestamp").unwrap();
        assert_eq!(threshold, 1);
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].id, "k1");
        assert_eq!(keys[0].key.public, vec![1, 2]);
        assert!(r.role_keys("snapshot").is_err(), "key without entry");
        assert!(r.role_keys("targets").is_err(), "threshold 0");
        assert!(r.role_keys("root").is_err(), "missing role");
    }
}

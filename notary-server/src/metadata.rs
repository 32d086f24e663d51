//! Reading the few fields the hot read path needs from stored metadata (timestamp → snapshot →
//! role checksums, role keys from the root) without full validation; everything that decides
//! trust goes through notary-tuf.

use std::collections::BTreeMap;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use ring::digest;
use serde_json::Value;

/// Stored metadata the server cannot interpret.
#[derive(Debug, thiserror::Error)]
#[error("corrupt stored {role}: {msg}")]
pub struct MetaError {
    pub role: &'static str,
    pub msg: String,
}

fn err(role: &'static str, msg: impl Into<String>) -> MetaError {
    MetaError {
        role,
        msg: msg.into(),
    }
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// Parses an envelope and returns its `signed` object.
pub fn signed_of(role: &'static str, bytes: &[u8]) -> Result<Value, MetaError> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| err(role, e.to_string()))?;
    match v {
        Value::Object(mut m) => match m.remove("signed") {
            Some(s @ Value::Object(_)) => Ok(s),
            _ => Err(err(role, "missing signed object")),
        },
        _ => Err(err(role, "not a JSON object")),
    }
}

fn expires_of(role: &'static str, signed: &Value) -> Result<DateTime<Utc>, MetaError> {
    let s = signed
        .get("expires")
        .and_then(Value::as_str)
        .ok_or_else(|| err(role, "missing expires"))?;
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| err(role, format!("bad expires: {e}")))
}

fn version_of(role: &'static str, signed: &Value) -> Result<i64, MetaError> {
    signed
        .get("version")
        .and_then(Value::as_i64)
        .ok_or_else(|| err(role, "missing version"))
}

/// Decoded `hashes` of a file-meta entry (algorithm → digest bytes).
pub type Hashes = BTreeMap<String, Vec<u8>>;

fn hashes_of(role: &'static str, meta: &Value) -> Result<Hashes, MetaError> {
    let mut out = Hashes::new();
    if let Some(Value::Object(h)) = meta.get("hashes") {
        for (alg, v) in h {
            if let Some(s) = v.as_str() {
                let bytes = b64()
                    .decode(s)
                    .map_err(|e| err(role, format!("bad {alg} hash: {e}")))?;
                out.insert(alg.clone(), bytes);
            }
        }
    }
    Ok(out)
}

/// What the read path needs from a timestamp.
#[derive(Debug, Clone)]
pub struct TimestampInfo {
    pub version: i64,
    pub expires: DateTime<Utc>,
    pub snapshot_hashes: Hashes,
}

impl TimestampInfo {
    /// Lower-case hex of `meta.snapshot.hashes.sha256`.
    pub fn snapshot_sha256_hex(&self) -> Option<String> {
        self.snapshot_hashes
            .get("sha256")
            .filter(|h| h.len() == 32)
            .map(hex::encode)
    }
}

pub fn parse_timestamp(bytes: &[u8]) -> Result<TimestampInfo, MetaError> {
    let s = signed_of("timestamp", bytes)?;
    let meta = s
        .get("meta")
        .and_then(|m| m.get("snapshot"))
        .ok_or_else(|| err("timestamp", "missing meta.snapshot"))?;
    Ok(TimestampInfo {
        version: version_of("timestamp", &s)?,
        expires: expires_of("timestamp", &s)?,
        snapshot_hashes: hashes_of("timestamp", meta)?,
    })
}

/// What the read path needs from a snapshot.
#[derive(Debug, Clone)]
pub struct SnapshotInfo {
    pub version: i64,
    pub expires: DateTime<Utc>,
    /// role → lower-case hex sha256 (roles without a usable sha256 are left out).
    pub role_sha256: BTreeMap<String, String>,
    /// The whole `signed` object (carried over when the snapshot is re-signed).
    pub signed: Value,
}

pub fn parse_snapshot(bytes: &[u8]) -> Result<SnapshotInfo, MetaError> {
    let s = signed_of("snapshot", bytes)?;
    let mut role_sha256 = BTreeMap::new();
    if let Some(Value::Object(meta)) = s.get("meta") {
        for (role, m) in meta {
            if let Some(h) = hashes_of("snapshot", m)?.get("sha256") {
                if h.len() == 32 {
                    role_sha256.insert(role.clone(), hex::encode(h));
                }
            }
        }
    }
    Ok(SnapshotInfo {
        version: version_of("snapshot", &s)?,
        expires: expires_of("snapshot", &s)?,
        role_sha256,
        signed: s,
    })
}

/// One key of a role, as listed in the root.
#[derive(Debug, Clone)]
pub struct RoleKey {
    /// The TUF key ID (map key in `keys`).
    pub id: String,
    pub keytype: String,
    /// Base64 public bytes as written in the root.
    pub public_b64: String,
}

/// A root role's keys and threshold.
#[derive(Debug, Clone)]
pub struct RoleKeys {
    pub keys: Vec<RoleKey>,
    pub threshold: usize,
}

/// The keys the root lists for `role` (`timestamp` or `snapshot`), and the root's expiry.
pub fn root_role_keys(root: &[u8], role: &str) -> Result<(RoleKeys, DateTime<Utc>), MetaError> {
    let s = signed_of("root", root)?;
    let expires = expires_of("root", &s)?;
    let r = s
        .get("roles")
        .and_then(|r| r.get(role))
        .ok_or_else(|| err("root", format!("missing {role} role specification")))?;
    let threshold = r.get("threshold").and_then(Value::as_i64).unwrap_or(0);
    if threshold < 1 {
        return Err(err("root", format!("invalid threshold for {role}")));
    }
    let mut keys = Vec::new();
    if let Some(Value::Array(ids)) = r.get("keyids") {
        for id in ids.iter().filter_map(Value::as_str) {
            let k = s
                .get("keys")
                .and_then(|k| k.get(id))
                .ok_or_else(|| err("root", format!("key ID {id} without corresponding key")))?;
            let keytype = k.get("keytype").and_then(Value::as_str).unwrap_or("");
            let public = k
                .get("keyval")
                .and_then(|kv| kv.get("public"))
                .and_then(Value::as_str)
                .unwrap_or("");
            if keys.iter().all(|x: &RoleKey| x.id != id) {
                keys.push(RoleKey {
                    id: id.to_string(),
                    keytype: keytype.to_string(),
                    public_b64: public.to_string(),
                });
            }
        }
    }
    Ok((
        RoleKeys {
            keys,
            threshold: threshold as usize,
        },
        expires,
    ))
}

/// Every present sha256/sha512 matches and at least one is present.
pub fn hashes_match(hashes: &Hashes, bytes: &[u8]) -> bool {
    let mut checked = 0;
    for (alg, want) in hashes {
        let got = match alg.as_str() {
            "sha256" => digest::digest(&digest::SHA256, bytes),
            "sha512" => digest::digest(&digest::SHA512, bytes),
            _ => continue,
        };
        if got.as_ref() != want.as_slice() {
            return false;
        }
        checked += 1;
    }
    checked > 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn go_time_format() {
        use notary_tuf::cjson::format_time;
        let t = Utc.timestamp_opt(1_700_000_000, 447_842_546).unwrap();
        assert_eq!(format_time(&t), "2023-11-14T22:13:20.447842546Z");
        let t = Utc.timestamp_opt(1_700_000_000, 500_000_000).unwrap();
        assert_eq!(format_time(&t), "2023-11-14T22:13:20.5Z");
        let t = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        assert_eq!(format_time(&t), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn hashes_checked_over_exact_bytes() {
        let m = serde_json::to_value(notary_tuf::data::FileMeta::from_bytes(b"abc")).unwrap();
        let h = hashes_of("x", &m).unwrap();
        assert!(hashes_match(&h, b"abc"));
        assert!(!hashes_match(&h, b"abd"));
        assert!(!hashes_match(&Hashes::new(), b"abc"));
        assert_eq!(m["length"], 3);
    }
}

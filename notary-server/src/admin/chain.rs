//! The current chain of one GUN computed from its rows (timestamp → snapshot → checksums), as the
//! read path resolves it, plus the few fields an operator wants to see.

use std::collections::BTreeMap;

use notary_server::metadata;
use notary_server::storage::GunFile;
use serde_json::Value;

/// role → the row the current chain serves for it (timestamp and snapshot included). Empty when
/// the GUN has no live timestamp or the timestamp names no stored snapshot.
pub fn current(files: &[GunFile]) -> BTreeMap<String, &GunFile> {
    let mut out = BTreeMap::new();
    let live = || files.iter().filter(|f| !f.deleted);
    let Some(ts) = live()
        .filter(|f| f.role == "timestamp")
        .max_by_key(|f| f.version)
    else {
        return out;
    };
    out.insert("timestamp".to_string(), ts);
    let Some(snap_sha) = metadata::parse_timestamp(&ts.data)
        .ok()
        .and_then(|t| t.snapshot_sha256_hex())
    else {
        return out;
    };
    let by_sha =
        |role: &str, sha: &str| live().find(|f| f.role == role && f.sha256.as_deref() == Some(sha));
    let Some(snap) = by_sha("snapshot", &snap_sha) else {
        return out;
    };
    out.insert("snapshot".to_string(), snap);
    if let Ok(info) = metadata::parse_snapshot(&snap.data) {
        for (role, sha) in &info.role_sha256 {
            if let Some(f) = by_sha(role, sha) {
                out.insert(role.clone(), f);
            }
        }
    }
    out
}

/// The root to read keys from: the chain's root, else the newest live root row.
pub fn current_root<'a>(
    chain: &BTreeMap<String, &'a GunFile>,
    files: &'a [GunFile],
) -> Option<&'a GunFile> {
    chain.get("root").copied().or_else(|| {
        files
            .iter()
            .filter(|f| !f.deleted && f.role == "root")
            .max_by_key(|f| f.version)
    })
}

/// `signed.expires` of a metadata file, as written.
pub fn expires(data: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(data).ok()?;
    v.get("signed")?
        .get("expires")?
        .as_str()
        .map(str::to_string)
}

/// The key IDs a root lists for `role` (empty when unreadable).
pub fn role_key_ids(root: &[u8], role: &str) -> Vec<String> {
    metadata::root_role_keys(root, role)
        .map(|(k, _)| k.keys.into_iter().map(|k| k.id).collect())
        .unwrap_or_default()
}

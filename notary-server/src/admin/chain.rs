//! The current chain of one GUN from its rows, resolved by the server's one resolver
//! ([`notary_server::trust::chain`]), plus the few fields an operator wants to see.

use std::collections::BTreeMap;

use notary_server::storage::GunFile;
use notary_server::trust::chain::{self, InMemoryRows, Wanted};
use notary_tuf::data::SignedMeta;
use notary_tuf::view::RootView;

/// role → the row the current chain serves for it (timestamp and snapshot included). Empty when
/// the GUN has no live timestamp or its chain cannot be read; only the timestamp when the
/// snapshot it names is not stored.
pub fn current(files: &[GunFile]) -> BTreeMap<String, &GunFile> {
    let mut out = BTreeMap::new();
    let Ok(resolved) = chain::resolve(&mut InMemoryRows(files), Wanted::All) else {
        return out;
    };
    let by_id = |id: i32| files.iter().find(|f| f.id == id);
    if let Some(f) = by_id(resolved.timestamp.row.id) {
        out.insert("timestamp".to_string(), f);
    }
    if let Some(f) = resolved.snapshot.as_ref().and_then(|s| by_id(s.row.id)) {
        out.insert("snapshot".to_string(), f);
    }
    for (role, row) in &resolved.roles {
        if let Some(f) = by_id(row.id) {
            out.insert(role.clone(), f);
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

/// `signed.expires` of a metadata file, in Go's format.
pub fn expires(data: &[u8]) -> Option<String> {
    SignedMeta::parse(data)
        .ok()
        .map(|m| notary_tuf::cjson::format_time(&m.signed.expires))
}

/// The key IDs a root lists for `role` (empty when unreadable).
pub fn role_key_ids(root: &[u8], role: &str) -> Vec<String> {
    RootView::parse(root)
        .and_then(|r| r.role_keys(role))
        .map(|(keys, _)| keys.into_iter().map(|k| k.id).collect())
        .unwrap_or_default()
}

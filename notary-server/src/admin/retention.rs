//! `admin retention --keep N [--yes]`: removes old `tuf_files` versions nobody needs. Kept for
//! every GUN: every root version (clients walk the root history), every file the current
//! timestamp → snapshot chain references, and the newest `N` other versions of each role. A GUN
//! whose current chain cannot be resolved is left untouched. One transaction for all GUNs.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use notary_server::storage::{GunFile, Store};

use super::chain;

/// The ids of `files` (one GUN) that retention removes; `None` when the GUN's current chain
/// cannot be resolved (then nothing of it is removed).
pub fn removable(files: &[GunFile], keep: usize) -> Option<Vec<i32>> {
    let chain = chain::current(files);
    if !chain.contains_key("snapshot") {
        return None;
    }
    let pinned: BTreeSet<i32> = chain.values().map(|f| f.id).collect();
    let mut by_role: BTreeMap<&str, Vec<&GunFile>> = BTreeMap::new();
    for f in files
        .iter()
        .filter(|f| f.role != "root" && !pinned.contains(&f.id))
    {
        by_role.entry(f.role.as_str()).or_default().push(f);
    }
    let mut out = Vec::new();
    for rows in by_role.values_mut() {
        rows.sort_by_key(|f| std::cmp::Reverse(f.version));
        out.extend(rows.iter().skip(keep).map(|f| f.id));
    }
    Some(out)
}

pub async fn retention(store: &Store, keep: usize, yes: bool) -> anyhow::Result<String> {
    let skipped = Arc::new(Mutex::new(Vec::<String>::new()));
    let skipped_in = skipped.clone();
    let pruned = store
        .prune(yes, move |gun, files| {
            removable(files, keep).unwrap_or_else(|| {
                if let Ok(mut s) = skipped_in.lock() {
                    s.push(gun.to_string());
                }
                Vec::new()
            })
        })
        .await?;
    let mut out = String::new();
    for gun in skipped.lock().map(|s| s.clone()).unwrap_or_default() {
        writeln!(
            out,
            "{gun}\tskipped: no current timestamp naming a stored snapshot, nothing removed"
        )?;
    }
    let mut per: BTreeMap<(&str, &str), (usize, usize)> = BTreeMap::new();
    for p in &pruned {
        let e = per.entry((p.gun.as_str(), p.role.as_str())).or_default();
        e.0 += 1;
        e.1 += p.bytes;
    }
    for ((gun, role), (n, bytes)) in &per {
        writeln!(out, "{gun}\t{role}\t{n} rows\t{bytes} bytes")?;
    }
    let bytes: usize = pruned.iter().map(|p| p.bytes).sum();
    let verb = if yes { "removed" } else { "would remove" };
    writeln!(
        out,
        "{verb} {} rows, {bytes} bytes (keeping every root, the current chain and the newest {keep} \
         other versions per role)",
        pruned.len()
    )?;
    if !yes {
        writeln!(out, "dry run: nothing changed (add --yes to do it)")?;
    }
    Ok(out)
}

//! `admin reset-gun <gun> [--yes]`: the recovery runbook as one command. Deletes the GUN's
//! server-managed keys in the signer, then every `tuf_files` row of the GUN plus a `deletion`
//! changefeed row in one transaction (the same operation as `DELETE /v2/<gun>/_trust/tuf/`).
//! Keys go first so that a failure half-way can simply be retried: the roots that name the keys
//! are still there.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use notary_server::signer::CryptoService;
use notary_server::storage::Store;

use super::show::server_key_ids;

pub async fn reset_gun(
    store: &Store,
    signer: &dyn CryptoService,
    gun: &str,
    yes: bool,
) -> anyhow::Result<String> {
    let files = store.gun_files(gun).await?;
    let mut out = String::new();
    if files.is_empty() {
        writeln!(out, "{gun}: no metadata stored; nothing to do")?;
        return Ok(out);
    }
    let mut per_role: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &files {
        *per_role.entry(f.role.as_str()).or_default() += 1;
    }
    let keys = server_key_ids(&files);
    writeln!(out, "reset-gun {gun} will:")?;
    writeln!(
        out,
        "  1. ask the signer to delete the {} timestamp/snapshot key(s) its roots name:",
        keys.len()
    )?;
    for k in &keys {
        writeln!(out, "       {k}")?;
    }
    let rows: Vec<String> = per_role.iter().map(|(r, n)| format!("{r}: {n}")).collect();
    writeln!(
        out,
        "  2. delete all {} tuf_files rows of {gun} ({}) and record a deletion in the changefeed, \
         in one transaction",
        files.len(),
        rows.join(", ")
    )?;
    writeln!(
        out,
        "Afterwards publish a new repository with `notary init {gun}` from a fresh trust \
         directory; clients must delete their trust data for {gun}."
    )?;
    if !yes {
        writeln!(out, "dry run: nothing changed (add --yes to do it)")?;
        return Ok(out);
    }
    for k in &keys {
        signer.delete_key(k).await.map_err(|e| {
            anyhow::anyhow!("signer could not delete key {k}: {e}; nothing else was changed, retry")
        })?;
    }
    writeln!(out, "deleted {} key(s) in the signer", keys.len())?;
    let removed = store.delete(gun).await?;
    if removed {
        writeln!(
            out,
            "deleted the metadata of {gun} and recorded the deletion in the changefeed"
        )?;
    } else {
        writeln!(out, "the metadata of {gun} was already gone")?;
    }
    Ok(out)
}

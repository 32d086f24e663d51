//! `admin list-guns` and `admin show <gun>`.

use std::fmt::Write as _;

use notary_server::signer::CryptoService;
use notary_server::storage::{GunFile, Store};

use super::chain;

/// One line per GUN: the versions the current chain serves.
pub async fn list_guns(store: &Store) -> anyhow::Result<String> {
    let mut out = String::new();
    for gun in store.guns().await? {
        let files = store.gun_files(&gun).await?;
        let chain = chain::current(&files);
        if chain.is_empty() {
            writeln!(out, "{gun}\t(no current timestamp; {} rows)", files.len())?;
            continue;
        }
        let versions: Vec<String> = chain
            .iter()
            .map(|(role, f)| format!("{role}={}", f.version))
            .collect();
        writeln!(out, "{gun}\t{}", versions.join(" "))?;
    }
    Ok(out)
}

/// Whether the signer holds a key.
enum Held {
    Yes,
    No,
    Unknown(String),
}

async fn held(signer: &dyn CryptoService, id: &str) -> Held {
    match signer.public_key(id).await {
        Ok(Some(_)) => Held::Yes,
        Ok(None) => Held::No,
        Err(e) => Held::Unknown(e.to_string()),
    }
}

/// Roles, versions, expiries, key IDs and which server keys the signer still holds, with the
/// recovery step when one is missing.
pub async fn show(store: &Store, signer: &dyn CryptoService, gun: &str) -> anyhow::Result<String> {
    let files = store.gun_files(gun).await?;
    let mut out = String::new();
    if files.is_empty() {
        writeln!(out, "{gun}: no metadata stored (the GUN does not exist)")?;
        return Ok(out);
    }
    let chain = chain::current(&files);
    let root = chain::current_root(&chain, &files);
    writeln!(out, "GUN {gun}: {} stored rows", files.len())?;
    if chain.is_empty() {
        writeln!(
            out,
            "no current chain: the GUN has no live timestamp naming a stored snapshot"
        )?;
    }
    let mut lost = Vec::new();
    for (role, f) in &chain {
        writeln!(
            out,
            "{role}: version {}, expires {}, sha256 {}",
            f.version,
            chain::expires(&f.data).as_deref().unwrap_or("?"),
            f.sha256.as_deref().unwrap_or("?")
        )?;
        let Some(root) = root else { continue };
        // Delegated roles' keys are in their parent targets file, not in the root.
        let ids = match role.as_str() {
            "root" | "targets" | "snapshot" | "timestamp" => chain::role_key_ids(&root.data, role),
            _ => Vec::new(),
        };
        for id in ids {
            if role == "timestamp" || role == "snapshot" {
                match held(signer, &id).await {
                    Held::Yes => writeln!(out, "  key {id}: held by the signer (server-managed)")?,
                    Held::No => {
                        writeln!(out, "  key {id}: NOT held by the signer")?;
                        lost.push(role.clone());
                    }
                    Held::Unknown(e) => writeln!(out, "  key {id}: unknown ({e})")?,
                }
            } else {
                writeln!(out, "  key {id}: client-held")?;
            }
        }
    }
    let ts_lost = lost.iter().any(|r| r == "timestamp");
    let snap_lost = lost.iter().any(|r| r == "snapshot");
    if ts_lost {
        writeln!(
            out,
            "\nThe signer does not hold the timestamp key: the server cannot sign a new timestamp, \
             so publishes fail (and reads fail once the current timestamp expires)."
        )?;
    }
    if snap_lost && ts_lost {
        writeln!(
            out,
            "\nThe signer holds neither the timestamp nor the snapshot key of {gun}. If the \
             snapshot is server-managed (after `notary key rotate {gun} snapshot -r`, or a Docker \
             Content Trust push), its key is lost and nobody can re-sign the snapshot: run \
             `notary-server admin -config <file> reset-gun {gun} --yes`, then re-initialise with \
             `notary init {gun}` from a fresh trust directory (every client must delete its trust \
             data for {gun})."
        )?;
        writeln!(
            out,
            "If instead clients hold the snapshot key (the default of `notary init -p`), recover \
             without losing history: `notary key rotate {gun} timestamp -r`, then \
             `notary publish {gun}`."
        )?;
    } else if ts_lost {
        writeln!(
            out,
            "Recover with `notary key rotate {gun} timestamp -r` (then `notary publish {gun}`)."
        )?;
    } else if !chain.is_empty() {
        let note = if snap_lost {
            " (the snapshot key is not in the signer: clients sign the snapshot)"
        } else {
            ""
        };
        writeln!(
            out,
            "\nThe signer holds every server-managed key of {gun}{note}."
        )?;
    }
    Ok(out)
}

/// The timestamp and snapshot key IDs named by every root version of a GUN.
pub fn server_key_ids(files: &[GunFile]) -> Vec<String> {
    let mut ids = Vec::new();
    for f in files.iter().filter(|f| f.role == "root") {
        for role in ["timestamp", "snapshot"] {
            for id in chain::role_key_ids(&f.data, role) {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
    }
    ids
}

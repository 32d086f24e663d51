//! Golden vectors made by the real Go notary client and server (`fixtures/tuf/`, see
//! `fixtures/README.md`): every file must re-canonicalise to the exact bytes the Go code
//! signed and wrote, every key ID must be recomputed, every signature must verify with the
//! keys of the right role, and the snapshot/timestamp hashes must match the exact bytes.

// Test code: a failed setup step panics, by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use notary_tuf::cjson;
use notary_tuf::crypto::x509::{chains_to_keys, root_role_cert_chains, valid_root_chains};
use notary_tuf::crypto::{verify_signatures, RoleKeys};
use notary_tuf::data::{Envelope, PublicKey, Root, SignedFile, Snapshot, Targets, Timestamp};
use notary_tuf::sign::assemble_signed;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/tuf")
}

fn gun(scenario: &str) -> String {
    format!("example.com/fixtures/{scenario}")
}

/// `(scenario, step directory)` for every step, sorted.
fn steps() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for scen in sorted_entries(&golden_dir()) {
        if !scen.is_dir() {
            continue;
        }
        let name = scen.file_name().unwrap().to_string_lossy().into_owned();
        for step in sorted_entries(&scen) {
            if step.is_dir() {
                out.push((name.clone(), step));
            }
        }
    }
    assert_eq!(
        out.len(),
        17,
        "golden steps: 7 scenarios, 17 steps (fixtures/README.md)"
    );
    out
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

/// Every `.json` file below `dir`, relative name → bytes.
fn json_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for p in sorted_entries(dir) {
            if p.is_dir() {
                walk(base, &p, out);
            } else if p.extension().is_some_and(|e| e == "json") {
                let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
                out.insert(rel, fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn role_keys(name: &str, root: &Root) -> RoleKeys {
    let role = &root.roles[name];
    RoleKeys::from_ids(name, &role.keyids, &root.keys, role.threshold)
        .unwrap_or_else(|id| panic!("root role {name} names unknown key {id}"))
}

/// A time inside every validity window of a step: one hour after the timestamp was made
/// (the Go server sets timestamp expiry to generation time + 14 days).
fn step_now(dir: &Path) -> DateTime<Utc> {
    let ts: SignedFile<Timestamp> =
        SignedFile::parse(&fs::read(dir.join("timestamp.json")).unwrap()).unwrap();
    ts.signed.expires - Duration::days(14) + Duration::hours(1)
}

/// (key type, method) of every signature that verified, over all golden files.
type Coverage = BTreeSet<(String, String)>;

fn record(cov: &mut Coverage, env: &Envelope, keys: &RoleKeys, valid: &BTreeSet<String>) {
    for sig in &env.signatures {
        if valid.contains(&sig.keyid) {
            let kt = keys.keys[&sig.keyid].keytype.as_str().to_string();
            cov.insert((kt, sig.method.clone()));
        }
    }
}

/// Parse, re-canonicalise and re-assemble: the Go writers put the canonical `signed` bytes
/// verbatim into the file, followed by the signatures, without whitespace.
fn check_bytes(name: &str, raw: &[u8]) -> Envelope {
    let env = Envelope::parse(raw).unwrap_or_else(|e| panic!("{name}: {e}"));
    let canonical = env.canonical_signed().unwrap();
    assert_eq!(
        assemble_signed(&canonical, &env.signatures),
        raw,
        "{name}: file bytes are not {{\"signed\":<canonical>,\"signatures\":…}}"
    );
    canonical_roundtrip(name, &env, &canonical);
    env
}

/// The typed model must serialise back to the same canonical bytes (no field lost or added).
fn canonical_roundtrip(name: &str, env: &Envelope, canonical: &[u8]) {
    let typ = env.signed["_type"].as_str().unwrap_or_default();
    let again = match typ {
        "Root" => cjson::to_canonical(&env.decode_signed::<Root>().unwrap()),
        "Targets" => cjson::to_canonical(&env.decode_signed::<Targets>().unwrap()),
        "Snapshot" => cjson::to_canonical(&env.decode_signed::<Snapshot>().unwrap()),
        "Timestamp" => cjson::to_canonical(&env.decode_signed::<Timestamp>().unwrap()),
        other => panic!("{name}: unexpected _type {other:?}"),
    }
    .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&again),
        String::from_utf8_lossy(canonical),
        "{name}: typed round trip changed the canonical bytes"
    );
}

fn check_key_ids(name: &str, keys: &BTreeMap<String, PublicKey>) {
    for (id, key) in keys {
        assert_eq!(key.key_id().as_str(), id, "{name}: key ID of {id}");
        assert_eq!(id.len(), 64, "{name}: {id}");
    }
}

/// Verifies one root file: its own root role, the Go certificate rules for the GUN, and
/// (for `N.root.json` with N > 1) the previous root's root role.
fn check_root(
    name: &str,
    gun: &str,
    raw: &[u8],
    prev: Option<&Root>,
    now: DateTime<Utc>,
    cov: &mut Coverage,
) -> Root {
    let env = check_bytes(name, raw);
    let root: Root = env.decode_signed().unwrap();
    assert_eq!(root.type_, "Root");
    check_key_ids(name, &root.keys);
    for role in ["root", "targets", "snapshot", "timestamp"] {
        assert!(root.roles.contains_key(role), "{name}: no {role} role");
    }
    let keys = role_keys("root", &root);
    let valid = verify_signatures(&env, &keys).unwrap_or_else(|e| panic!("{name}: {e}"));
    record(cov, &env, &keys, &valid);

    // spec-server §3.6: CN = GUN, valid at `now`, and the key rebuilt from the certificate
    // is byte-identical (same key ID) to the one in the file.
    let chains = root_role_cert_chains(&root.keys, &root.roles["root"].keyids);
    let valid_chains = valid_root_chains(&chains, gun, true, now)
        .unwrap_or_else(|| panic!("{name}: no valid root cert"));
    let rebuilt = chains_to_keys(&valid_chains);
    let listed: BTreeSet<&String> = root.roles["root"].keyids.iter().collect();
    assert_eq!(
        rebuilt.keys().collect::<BTreeSet<_>>(),
        listed,
        "{name}: rebuilt cert keys"
    );
    let cert_role = RoleKeys::new("root", rebuilt, root.roles["root"].threshold);
    verify_signatures(&env, &cert_role).unwrap_or_else(|e| panic!("{name}: cert keys: {e}"));

    if let Some(prev) = prev {
        let old = role_keys("root", prev);
        verify_signatures(&env, &old)
            .unwrap_or_else(|e| panic!("{name}: not signed by the previous root: {e}"));
        let old_chains = root_role_cert_chains(&prev.keys, &prev.roles["root"].keyids);
        let old_valid = valid_root_chains(&old_chains, gun, false, now).unwrap();
        let old_keys = RoleKeys::new(
            "root",
            chains_to_keys(&old_valid),
            prev.roles["root"].threshold,
        );
        verify_signatures(&env, &old_keys).unwrap();
    }
    root
}

/// Checks everything in one step directory; returns the canonical key IDs it saw.
fn check_step(scenario: &str, dir: &Path, cov: &mut Coverage) -> BTreeSet<String> {
    let label = format!("{scenario}/{}", dir.file_name().unwrap().to_string_lossy());
    let gun = gun(scenario);
    let files = json_files(dir);
    let now = step_now(dir);
    let mut canonical_ids = BTreeSet::new();

    // Root versions in order, each checked against its predecessor.
    let mut prev: Option<Root> = None;
    for n in 1.. {
        let Some(raw) = files.get(&format!("{n}.root.json")) else {
            break;
        };
        let root = check_root(
            &format!("{label}/{n}.root.json"),
            &gun,
            raw,
            prev.as_ref(),
            now,
            cov,
        );
        for key in root.keys.values() {
            canonical_ids.insert(key.canonical_key_id().unwrap().into_string());
        }
        prev = Some(root);
    }
    let latest = prev.expect("no N.root.json");
    assert_eq!(
        files["root.json"],
        files[&format!("{}.root.json", latest.version)],
        "{label}: root.json is not the newest versioned root"
    );
    let root = check_root(
        &format!("{label}/root.json"),
        &gun,
        &files["root.json"],
        None,
        now,
        cov,
    );
    assert!(root.expires > now && root.version >= 1);

    // Top-level roles.
    let mut parsed: BTreeMap<String, Envelope> = BTreeMap::new();
    for role in ["targets", "snapshot", "timestamp"] {
        let name = format!("{label}/{role}.json");
        let env = check_bytes(&name, &files[&format!("{role}.json")]);
        let keys = role_keys(role, &root);
        let valid = verify_signatures(&env, &keys).unwrap_or_else(|e| panic!("{name}: {e}"));
        record(cov, &env, &keys, &valid);
        parsed.insert(role.to_string(), env);
    }

    // Delegations: keyed by the parent's delegation entries.
    let targets: Targets = parsed["targets"].decode_signed().unwrap();
    assert_eq!(targets.type_, "Targets");
    check_key_ids(
        &format!("{label}/targets.json delegations"),
        &targets.delegations.keys,
    );
    for key in targets.delegations.keys.values() {
        canonical_ids.insert(key.canonical_key_id().unwrap().into_string());
    }
    for d in &targets.delegations.roles {
        let Some(raw) = files.get(&format!("{}.json", d.name)) else {
            continue;
        };
        let name = format!("{label}/{}.json", d.name);
        let env = check_bytes(&name, raw);
        let keys =
            RoleKeys::from_ids(&d.name, &d.keyids, &targets.delegations.keys, d.threshold).unwrap();
        let valid = verify_signatures(&env, &keys).unwrap_or_else(|e| panic!("{name}: {e}"));
        record(cov, &env, &keys, &valid);
        let delegated: Targets = env.decode_signed().unwrap();
        for target in delegated.targets.keys() {
            assert!(
                d.check_path(target),
                "{name}: {target} outside {:?}",
                d.paths
            );
        }
        parsed.insert(d.name.clone(), env);
    }

    // Hashes over the exact bytes: timestamp → snapshot → every other file.
    let ts: Timestamp = parsed["timestamp"].decode_signed().unwrap();
    let snap_meta = &ts.meta["snapshot"];
    snap_meta
        .verify_hashes(&files["snapshot.json"], "snapshot")
        .unwrap();
    assert_eq!(snap_meta.length as usize, files["snapshot.json"].len());
    let snap: Snapshot = parsed["snapshot"].decode_signed().unwrap();
    for role in parsed
        .keys()
        .filter(|r| *r != "snapshot" && *r != "timestamp")
    {
        let meta = snap
            .meta
            .get(role)
            .unwrap_or_else(|| panic!("{label}: snapshot lacks {role}"));
        let raw = &files[&format!("{role}.json")];
        meta.verify_hashes(raw, role)
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(meta.length as usize, raw.len(), "{label}: length of {role}");
        assert!(meta.hashes.contains_key("sha256") && meta.hashes.contains_key("sha512"));
    }
    let root_meta = &snap.meta["root"];
    root_meta
        .verify_hashes(&files["root.json"], "root")
        .unwrap();

    // Expiry and versions are sane for the time of generation.
    assert!(
        ts.expires > now && snap.expires > now && targets.expires > now,
        "{label}"
    );
    assert!(
        ts.version >= 1 && snap.version >= 1 && targets.version >= 1,
        "{label}"
    );
    canonical_ids
}

/// Canonical key IDs and roles from `notary key list`, one per line.
fn listed_keys(scenario: &str) -> Vec<(String, String)> {
    let text = fs::read_to_string(golden_dir().join(scenario).join("keys.txt")).unwrap();
    text.lines()
        .filter_map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let id = cols
                .iter()
                .find(|c| c.len() == 64 && c.bytes().all(|b| b.is_ascii_hexdigit()))?;
            Some((cols[0].to_string(), id.to_string()))
        })
        .collect()
}

#[test]
fn every_golden_file_reproduces_verifies_and_hashes() {
    let mut cov = Coverage::new();
    let mut ids_by_scenario: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut files = 0;
    for (scenario, dir) in steps() {
        files += json_files(&dir).len();
        let ids = check_step(&scenario, &dir, &mut cov);
        ids_by_scenario.entry(scenario).or_default().extend(ids);
    }
    assert!(files >= 90, "only {files} golden files");

    // Every key the CLI lists (canonical IDs) appears in the metadata.
    for (scenario, ids) in &ids_by_scenario {
        let listed = listed_keys(scenario);
        assert!(
            listed.iter().any(|(r, _)| r == "root"),
            "{scenario}: keys.txt has no root key"
        );
        for (role, id) in listed {
            assert!(
                ids.contains(&id),
                "{scenario}: {role} key {id} from keys.txt not in metadata"
            );
        }
    }

    for (kt, method) in [
        ("ecdsa", "ecdsa"),
        ("ecdsa-x509", "ecdsa"),
        ("rsa-x509", "rsapss"),
        ("ed25519", "eddsa"),
    ] {
        assert!(
            cov.contains(&(kt.to_string(), method.to_string())),
            "no verified {kt}/{method} signature among the golden files: {cov:?}"
        );
    }
}

#[test]
fn root_rotation_is_signed_by_old_and_new_root() {
    let dir = golden_dir().join("root-rotate/02-rotate-root");
    let v1: SignedFile<Root> =
        SignedFile::parse(&fs::read(dir.join("1.root.json")).unwrap()).unwrap();
    let v2: SignedFile<Root> =
        SignedFile::parse(&fs::read(dir.join("2.root.json")).unwrap()).unwrap();
    assert_eq!((v1.signed.version, v2.signed.version), (1, 2));
    let old = role_keys("root", &v1.signed);
    let new = role_keys("root", &v2.signed);
    assert!(
        old.keys.keys().all(|k| !new.keys.contains_key(k)),
        "root key did not change"
    );
    let by_old = verify_signatures(&v2.envelope, &old).unwrap();
    let by_new = verify_signatures(&v2.envelope, &new).unwrap();
    assert_eq!(by_old.len() + by_new.len(), v2.envelope.signatures.len());
}

#[test]
fn server_managed_snapshot_moves_to_the_servers_key() {
    let base = golden_dir().join("snapshot-rotate");
    let read = |step: &str| -> Root {
        SignedFile::<Root>::parse(&fs::read(base.join(step).join("root.json")).unwrap())
            .unwrap()
            .signed
    };
    let before = read("01-init");
    let after = read("02-rotate-snapshot");
    assert_eq!(after.version, before.version + 1);
    assert_ne!(
        before.roles["snapshot"].keyids,
        after.roles["snapshot"].keyids
    );
    // The CLI no longer holds the snapshot key: it is not in keys.txt.
    let listed: BTreeSet<String> = listed_keys("snapshot-rotate")
        .into_iter()
        .map(|(_, id)| id)
        .collect();
    for id in &after.roles["snapshot"].keyids {
        assert!(
            !listed.contains(id),
            "server snapshot key {id} listed by the CLI"
        );
    }
}

#[test]
fn x509_delegation_key_ids_differ_from_canonical_ids() {
    // `delegation list`/`key list` show the canonical ID; the metadata uses the x509 key ID.
    let raw = fs::read(golden_dir().join("delegation/03-delegation-targets/targets.json")).unwrap();
    let targets: SignedFile<Targets> = SignedFile::parse(&raw).unwrap();
    let listed = listed_keys("delegation");
    let rsa = targets
        .signed
        .delegations
        .roles
        .iter()
        .find(|r| r.name == "targets/rsa")
        .unwrap();
    let key = &targets.signed.delegations.keys[&rsa.keyids[0]];
    assert_eq!(key.keytype.as_str(), "rsa-x509");
    let canonical = key.canonical_key_id().unwrap().into_string();
    assert_ne!(canonical, rsa.keyids[0]);
    assert!(listed.contains(&("targets/rsa".to_string(), canonical)));
}

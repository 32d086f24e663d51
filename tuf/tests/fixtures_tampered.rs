//! Tampered copies of the Go golden vectors (`fixtures/tampered/<defect>/`, see
//! `fixtures/README.md`): each has exactly one defect and must be rejected with the error
//! named for it. Each test first checks that the untouched golden file passes the same
//! check, so a test cannot pass because of an unrelated problem.

// Test code: a failed setup step panics, by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use notary_tuf::crypto::x509::{chains_to_keys, root_role_cert_chains, valid_root_chains};
use notary_tuf::crypto::{verify_signature, verify_signatures, RoleKeys};
use notary_tuf::data::{Root, Signature, SignedFile, Snapshot, Targets, Timestamp};
use notary_tuf::{CryptoError, TufError};

const DELEGATION: &str = "delegation/03-delegation-targets";
const ROOT_BEFORE: &str = "root-rotate/01-init";
const ROOT_AFTER: &str = "root-rotate/02-rotate-root";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

fn golden(rel: &str) -> Vec<u8> {
    let p = fixtures().join("tuf").join(rel);
    fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn tampered(rel: &str) -> Vec<u8> {
    let p = fixtures().join("tampered").join(rel);
    fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn parse<T: serde::de::DeserializeOwned>(raw: &[u8]) -> SignedFile<T> {
    SignedFile::parse(raw).unwrap()
}

fn role_keys(name: &str, root: &Root) -> RoleKeys {
    let role = &root.roles[name];
    RoleKeys::from_ids(name, &role.keyids, &root.keys, role.threshold).unwrap()
}

/// A time inside the validity window of the golden step (see go_fixtures.rs).
fn step_now(step: &str) -> DateTime<Utc> {
    let ts: SignedFile<Timestamp> = parse(&golden(&format!("{step}/timestamp.json")));
    ts.signed.expires - Duration::days(14) + Duration::hours(1)
}

fn delegation_root() -> Root {
    parse::<Root>(&golden(&format!("{DELEGATION}/root.json"))).signed
}

fn threshold_error(role: &str) -> TufError {
    TufError::RoleThreshold {
        role: Some(role.to_string()),
    }
}

#[test]
fn bad_signature() {
    let keys = role_keys("targets", &delegation_root());
    let good = parse::<Targets>(&golden(&format!("{DELEGATION}/targets.json")));
    verify_signatures(&good.envelope, &keys).unwrap();

    let bad = parse::<Targets>(&tampered("bad-signature/targets.json"));
    assert_eq!(
        bad.envelope.signed, good.envelope.signed,
        "only the signature may differ"
    );
    let err = verify_signatures(&bad.envelope, &keys).unwrap_err();
    assert_eq!(err, threshold_error("targets"));
    assert_eq!(
        err.to_string(),
        "valid signatures did not meet threshold for targets"
    );

    let sig: &Signature = &bad.envelope.signatures[0];
    let msg = bad.envelope.canonical_signed().unwrap();
    assert_eq!(
        verify_signature(&keys.keys[&sig.keyid], &sig.method, &msg, &sig.sig),
        Err(CryptoError::Invalid)
    );
}

#[test]
fn wrong_key_id() {
    let root = parse::<Root>(&tampered("wrong-key-id/root.json"));
    // The root itself is validly signed: the key ID is its only defect.
    verify_signatures(&root.envelope, &role_keys("root", &root.signed)).unwrap();
    let wrong = &root.signed.roles["targets"].keyids[0];
    let key = &root.signed.keys[wrong];
    assert_ne!(
        key.key_id().as_str(),
        wrong,
        "the ID must not be the key's own"
    );
    // The same key under its real ID verifies the golden targets file.
    let mut fixed = BTreeMap::new();
    fixed.insert(key.key_id().into_string(), key.clone());
    let real_keys = RoleKeys::new("targets", fixed, 1);
    verify_signatures(
        &parse::<Targets>(&golden(&format!("{DELEGATION}/targets.json"))).envelope,
        &real_keys,
    )
    .unwrap();

    let targets = parse::<Targets>(&tampered("wrong-key-id/targets.json"));
    assert_eq!(&targets.envelope.signatures[0].keyid, wrong);
    let err =
        verify_signatures(&targets.envelope, &role_keys("targets", &root.signed)).unwrap_err();
    assert_eq!(err, TufError::InvalidKeyId);
    assert_eq!(err.to_string(), "key ID is not valid for key content");
}

#[test]
fn threshold_unmet() {
    let root = parse::<Root>(&tampered("threshold-unmet/root.json"));
    verify_signatures(&root.envelope, &role_keys("root", &root.signed)).unwrap();
    assert_eq!(root.signed.roles["targets"].threshold, 2);
    let targets = parse::<Targets>(&tampered("threshold-unmet/targets.json"));
    // One valid signature: enough for the golden root, not for the tampered one.
    verify_signatures(&targets.envelope, &role_keys("targets", &delegation_root())).unwrap();
    let err =
        verify_signatures(&targets.envelope, &role_keys("targets", &root.signed)).unwrap_err();
    assert_eq!(err, threshold_error("targets"));
}

#[test]
fn hash_mismatch() {
    let snap = parse::<Snapshot>(&golden(&format!("{DELEGATION}/snapshot.json")));
    let meta = &snap.signed.meta["targets"];
    meta.verify_hashes(&golden(&format!("{DELEGATION}/targets.json")), "targets")
        .unwrap();

    let raw = tampered("hash-mismatch/targets.json");
    // Still validly signed: the signature covers the canonical form, not the bytes.
    let targets = parse::<Targets>(&raw);
    verify_signatures(&targets.envelope, &role_keys("targets", &delegation_root())).unwrap();
    let err = meta.verify_hashes(&raw, "targets").unwrap_err();
    let expected = hex::encode(&meta.hashes["sha256"]);
    assert_eq!(
        err,
        TufError::ChecksumMismatch {
            alg: "sha256".into(),
            name: "targets".into(),
            expected: expected.clone(),
        }
    );
    assert_eq!(
        err.to_string(),
        format!("sha256 checksum for targets did not match: expected {expected}")
    );
}

/// spec-server §3.6 step 5 with the core functions: the new root's signatures must meet the
/// previous root's threshold with the previous root's certificates.
#[test]
fn root_rotation_without_old_root_signature() {
    let gun = "example.com/fixtures/root-rotate";
    let now = step_now(ROOT_AFTER);
    let old = parse::<Root>(&golden(&format!("{ROOT_BEFORE}/root.json"))).signed;
    let old_chains = valid_root_chains(
        &root_role_cert_chains(&old.keys, &old.roles["root"].keyids),
        gun,
        false,
        now,
    )
    .unwrap();
    let old_keys = RoleKeys::new(
        "root",
        chains_to_keys(&old_chains),
        old.roles["root"].threshold,
    );

    let good = parse::<Root>(&golden(&format!("{ROOT_AFTER}/2.root.json")));
    verify_signatures(&good.envelope, &old_keys).unwrap();

    let bad = parse::<Root>(&tampered(
        "root-rotation-without-old-root-signature/root.json",
    ));
    assert_eq!(bad.envelope.signed, good.envelope.signed);
    // Self-signed by the new root key alone ...
    verify_signatures(&bad.envelope, &role_keys("root", &bad.signed)).unwrap();
    // ... but not by the old one.
    let err = verify_signatures(&bad.envelope, &old_keys).unwrap_err();
    assert_eq!(err, threshold_error("root"));
}

#[test]
fn delegation_path_escape() {
    let parent = parse::<Targets>(&golden(&format!("{DELEGATION}/targets.json"))).signed;
    let role = parent
        .delegations
        .roles
        .iter()
        .find(|r| r.name == "targets/rsa")
        .unwrap();
    assert_eq!(role.paths, vec!["rsa/".to_string()]);
    let keys = RoleKeys::from_ids(
        &role.name,
        &role.keyids,
        &parent.delegations.keys,
        role.threshold,
    )
    .unwrap();

    let good = parse::<Targets>(&golden(&format!("{DELEGATION}/targets/rsa.json")));
    assert!(good.signed.targets.keys().all(|t| role.check_path(t)));

    let bad = parse::<Targets>(&tampered("delegation-path-escape/targets/rsa.json"));
    // Validly signed by the rsa-x509 delegation key (rsapss) ...
    let valid = verify_signatures(&bad.envelope, &keys).unwrap();
    assert_eq!(valid.len(), 1);
    assert_eq!(bad.envelope.signatures[0].method, "rsapss");
    // ... but it lists a target its delegation does not cover.
    let escaped: Vec<&String> = bad
        .signed
        .targets
        .keys()
        .filter(|t| !role.check_path(t))
        .collect();
    assert_eq!(escaped, vec!["escape/evil.txt"]);
}

#[test]
fn expired_is_validly_signed_but_past_its_expiry() {
    let raw = tampered("expired/targets.json");
    let targets = parse::<Targets>(&raw);
    verify_signatures(&targets.envelope, &role_keys("targets", &delegation_root())).unwrap();
    let expires = targets.signed.expires;
    assert_eq!(
        notary_tuf::cjson::format_time(&expires),
        "2001-01-01T00:00:00Z"
    );
    assert!(expires < step_now(DELEGATION));
    assert_eq!(
        TufError::Expired {
            role: "targets".into(),
            expired: notary_tuf::cjson::format_go_date(&expires),
        }
        .to_string(),
        "targets expired at Mon Jan 1 00:00:00 UTC 2001"
    );
}

#[test]
fn version_rollback_offers_an_older_root() {
    let current = parse::<Root>(&golden(&format!("{ROOT_AFTER}/root.json"))).signed;
    let offered = parse::<Root>(&tampered("version-rollback/root.json"));
    // A genuine, validly signed root: only its version is wrong.
    verify_signatures(&offered.envelope, &role_keys("root", &offered.signed)).unwrap();
    assert_eq!((offered.signed.version, current.version), (1, 2));
}

/// The same defects through the server's validation pipeline (spec-server §3.5–3.9): the
/// stored state is a golden step, the upload contains the tampered file(s), and the error
/// must be the Go server's typed error with its message.
mod pipeline {
    use super::*;
    use notary_tuf::data::RoleName;
    use notary_tuf::validation::{
        validate_update, SnapshotPlan, StoredRepo, Upload, ValidationError,
    };

    /// The stored state of a golden step: current root, targets + every delegation file,
    /// snapshot and timestamp.
    fn stored(step: &str) -> StoredRepo {
        let dir = fixtures().join("tuf").join(step);
        let read = |name: &str| fs::read(dir.join(name)).ok();
        let mut targets = BTreeMap::new();
        targets.insert(RoleName::Targets, read("targets.json").unwrap());
        for d in ["targets/releases", "targets/rsa"] {
            if let Some(bytes) = read(&format!("{d}.json")) {
                targets.insert(d.parse().unwrap(), bytes);
            }
        }
        StoredRepo {
            root: read("root.json"),
            targets,
            snapshot: read("snapshot.json"),
            timestamp: read("timestamp.json"),
        }
    }

    fn upload(role: &str, bytes: Vec<u8>) -> Upload {
        Upload {
            role: role.parse().unwrap(),
            bytes,
        }
    }

    fn gun(step: &str) -> String {
        format!("example.com/fixtures/{}", step.split('/').next().unwrap())
    }

    fn validate(step: &str, uploads: Vec<Upload>) -> Result<SnapshotPlan, ValidationError> {
        validate_update(&gun(step), &stored(step), uploads, step_now(step)).map(|p| p.snapshot)
    }

    fn d_targets() -> Vec<u8> {
        golden(&format!("{DELEGATION}/targets.json"))
    }

    fn d_snapshot() -> Vec<u8> {
        golden(&format!("{DELEGATION}/snapshot.json"))
    }

    fn bad_targets(msg: &str) -> ValidationError {
        ValidationError::BadTargets { msg: msg.into() }
    }

    #[test]
    fn golden_uploads_are_accepted() {
        // Re-sending the current targets + snapshot passes validation (storage would refuse
        // the duplicate version later).
        let plan = validate(
            DELEGATION,
            vec![
                upload("targets", d_targets()),
                upload("snapshot", d_snapshot()),
            ],
        )
        .unwrap();
        assert!(matches!(plan, SnapshotPlan::Uploaded(ref f) if f.bytes == d_snapshot()));
        // The delegation publishes of step 03 on top of step 02.
        let step2 = "delegation/02-delegation-add";
        let uploads = vec![
            upload(
                "targets/releases",
                golden(&format!("{DELEGATION}/targets/releases.json")),
            ),
            upload(
                "targets/rsa",
                golden(&format!("{DELEGATION}/targets/rsa.json")),
            ),
            upload("snapshot", d_snapshot()),
        ];
        validate_update(&gun(step2), &stored(step2), uploads, step_now(DELEGATION)).unwrap();
        // The root rotation on top of version 1.
        let uploads = vec![
            upload("root", golden(&format!("{ROOT_AFTER}/2.root.json"))),
            upload("snapshot", golden(&format!("{ROOT_AFTER}/snapshot.json"))),
        ];
        validate(ROOT_BEFORE, uploads).unwrap();
    }

    /// What the Go server generated after `add -p` with a server-managed snapshot: the
    /// pipeline must plan the same snapshot (meta, version) and timestamp (meta, version).
    #[test]
    fn generated_snapshot_and_timestamp_match_the_go_server() {
        let before = "snapshot-rotate/02-rotate-snapshot";
        let after = "snapshot-rotate/03-add";
        let uploads = vec![upload("targets", golden(&format!("{after}/targets.json")))];
        let plan =
            validate_update(&gun(before), &stored(before), uploads, step_now(after)).unwrap();
        let SnapshotPlan::Generate(to_sign) = &plan.snapshot else {
            panic!("the snapshot is server-managed: it must be generated");
        };
        let go_snap = parse::<Snapshot>(&golden(&format!("{after}/snapshot.json"))).signed;
        let planned: Snapshot = serde_json::from_slice(&to_sign.canonical).unwrap();
        assert_eq!(planned.meta, go_snap.meta);
        assert_eq!(
            (to_sign.version, planned.version),
            (go_snap.version, go_snap.version)
        );
        let root = parse::<Root>(&golden(&format!("{after}/root.json"))).signed;
        assert_eq!(to_sign.keys, role_keys("snapshot", &root));

        let go_ts = parse::<Timestamp>(&golden(&format!("{after}/timestamp.json"))).signed;
        let ts = plan
            .timestamp_to_sign(&golden(&format!("{after}/snapshot.json")), step_now(after))
            .unwrap();
        let planned: Timestamp = serde_json::from_slice(&ts.canonical).unwrap();
        assert_eq!(planned.meta, go_ts.meta);
        assert_eq!(
            (ts.version, planned.version),
            (go_ts.version, go_ts.version)
        );
        assert_eq!(ts.keys, role_keys("timestamp", &root));
    }

    /// Tampered targets (with the tampered root, where the defect is in the root's key list)
    /// over the delegation step: each is the Go server's `ErrBadTargets` with its message.
    #[test]
    fn tampered_targets_are_bad_targets() {
        for (defect, with_root, msg) in [
            (
                "bad-signature",
                false,
                "valid signatures did not meet threshold for targets",
            ),
            ("wrong-key-id", true, "key ID is not valid for key content"),
            (
                "expired",
                false,
                "targets expired at Mon Jan 1 00:00:00 UTC 2001",
            ),
            (
                "threshold-unmet",
                true,
                "valid signatures did not meet threshold for targets",
            ),
        ] {
            let mut uploads = Vec::new();
            if with_root {
                uploads.push(upload("root", tampered(&format!("{defect}/root.json"))));
            }
            uploads.push(upload(
                "targets",
                tampered(&format!("{defect}/targets.json")),
            ));
            uploads.push(upload("snapshot", d_snapshot()));
            assert_eq!(
                validate(DELEGATION, uploads).unwrap_err(),
                bad_targets(msg),
                "{defect}"
            );
        }
    }

    #[test]
    fn version_rollback() {
        let uploads = vec![upload("root", tampered("version-rollback/root.json"))];
        assert_eq!(
            validate(ROOT_AFTER, uploads).unwrap_err(),
            ValidationError::BadRoot {
                msg: "Root modifications must increment the version. Current 2, new 1".into()
            }
        );
    }

    #[test]
    fn hash_mismatch() {
        let uploads = vec![
            upload("targets", tampered("hash-mismatch/targets.json")),
            upload("snapshot", d_snapshot()),
        ];
        let err = validate(DELEGATION, uploads).unwrap_err();
        let snap = parse::<Snapshot>(&d_snapshot()).signed;
        let hashes = &snap.meta["targets"].hashes;
        // Go checks the hashes in map order (random); either one may be reported.
        let candidates: Vec<ValidationError> = ["sha256", "sha512"]
            .iter()
            .map(|alg| ValidationError::BadSnapshot {
                msg: format!(
                    "{alg} checksum for targets did not match: expected {}",
                    hex::encode(&hashes[*alg])
                ),
            })
            .collect();
        assert!(candidates.contains(&err), "{err:?}");
    }

    #[test]
    fn root_rotation_without_old_root_signature() {
        let uploads = vec![
            upload(
                "root",
                tampered("root-rotation-without-old-root-signature/root.json"),
            ),
            upload("snapshot", golden(&format!("{ROOT_AFTER}/snapshot.json"))),
        ];
        assert_eq!(
            validate(ROOT_BEFORE, uploads).unwrap_err(),
            ValidationError::BadRoot {
                msg: "could not rotate trust to a new trusted root: failed to validate data with current trusted certificates".into()
            }
        );
    }

    /// Go-compatible: the server does not check delegated paths on upload (spec-server §3.8);
    /// the escape is caught on read by the client (`DelegationRole::check_path`, tested above).
    #[test]
    fn delegation_path_escape_is_not_a_server_check() {
        let uploads = vec![upload(
            "targets/rsa",
            tampered("delegation-path-escape/targets/rsa.json"),
        )];
        let plan = validate(DELEGATION, uploads).unwrap();
        assert!(matches!(plan, SnapshotPlan::Generate(_)));
    }
}

//! The update validation pipeline (spec-server §3.5–3.11), one test per case of the checklist
//! of Go's `server/handlers/validation_test.go` (§3.13) that is a pure validation concern, plus
//! the error detail rendering (§2.3) and the read-path regeneration helpers (§4.3).

// Test code: a failed setup step panics, by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use notary_tuf::crypto::{self, RoleKeys};
use notary_tuf::data::{Envelope, FileMeta, RoleName, SignedFile, Snapshot, Timestamp};
use notary_tuf::validation::testutil::{
    add_delegation, make_root, make_snapshot, make_targets, make_timestamp, sign_role,
    sign_to_sign, upload, RepoKeys, TestKey, TestRepo,
};
use notary_tuf::validation::{
    snapshot_to_resign, stored_targets_needed, timestamp_snapshot_sha256, timestamp_to_resign,
    validate_update, MetaFile, SnapshotPlan, StoredRepo, UpdatePlan, Upload, ValidationError,
    MSG_NO_SNAPSHOT_KEY,
};

const GUN: &str = "docker.com/notary/validation";

fn now() -> DateTime<Utc> {
    Utc::now()
}

fn later(days: i64) -> DateTime<Utc> {
    now() + Duration::days(days)
}

fn validate(stored: &StoredRepo, uploads: Vec<Upload>) -> Result<UpdatePlan, ValidationError> {
    validate_update(GUN, stored, uploads, now())
}

/// The error of validating `repo`'s first publish (root, targets, snapshot) into an empty
/// repository.
fn new_repo_error(repo: &TestRepo) -> ValidationError {
    validate(&StoredRepo::default(), repo.uploads()).unwrap_err()
}

/// The error of validating `repo`'s first publish with the upload at `index` (0 root,
/// 1 targets, 2 snapshot) replaced by `bytes`.
fn error_with_upload(repo: &TestRepo, index: usize, bytes: Vec<u8>) -> ValidationError {
    let mut uploads = repo.uploads();
    uploads[index].bytes = bytes;
    validate(&StoredRepo::default(), uploads).unwrap_err()
}

/// A new repository whose root is `root(&repo)`, with the snapshot re-signed over it.
fn repo_with_root(root: impl FnOnce(&TestRepo) -> Vec<u8>) -> TestRepo {
    let mut repo = TestRepo::new(GUN, now());
    repo.root = root(&repo);
    repo.resign_snapshot(1, now(), &[]);
    repo
}

/// A new repository whose targets are `targets(&repo)`, with the snapshot re-signed over them.
fn repo_with_targets(targets: impl FnOnce(&TestRepo) -> Vec<u8>) -> TestRepo {
    let mut repo = TestRepo::new(GUN, now());
    repo.targets = targets(&repo);
    repo.resign_snapshot(1, now(), &[]);
    repo
}

fn only_root(repo: &TestRepo) -> StoredRepo {
    StoredRepo {
        root: Some(repo.root.clone()),
        ..Default::default()
    }
}

/// Only `repo`'s root and the given targets-like files are stored.
fn root_and_targets(repo: &TestRepo, targets: &[(RoleName, &[u8])]) -> StoredRepo {
    StoredRepo {
        targets: targets
            .iter()
            .map(|(role, bytes)| (role.clone(), bytes.to_vec()))
            .collect(),
        ..only_root(repo)
    }
}

fn uploaded_snapshot(plan: &UpdatePlan) -> &MetaFile {
    match &plan.snapshot {
        SnapshotPlan::Uploaded(f) => f,
        SnapshotPlan::Generate(_) => panic!("expected an uploaded snapshot"),
    }
}

/// Sign the generated snapshot (if any) with `snapshot_keys` and the timestamp with
/// `timestamp_keys`, as the server would; returns (snapshot, timestamp) files.
fn finish_plan(
    plan: &UpdatePlan,
    snapshot_keys: &[&TestKey],
    timestamp_keys: &[&TestKey],
) -> Result<(MetaFile, MetaFile), ValidationError> {
    let snapshot = match &plan.snapshot {
        SnapshotPlan::Uploaded(f) => f.clone(),
        SnapshotPlan::Generate(ts) => sign_to_sign(ts, snapshot_keys)?,
    };
    let ts = plan.timestamp_to_sign(&snapshot.bytes, now())?;
    let timestamp = sign_to_sign(&ts, timestamp_keys)?;
    Ok((snapshot, timestamp))
}

/// `meta` (of a snapshot or timestamp) lists each of `files` (name, bytes) with matching hashes.
fn assert_lists(meta: &BTreeMap<String, FileMeta>, files: &[(&str, &[u8])]) {
    for (name, bytes) in files {
        meta[*name]
            .verify_hashes(bytes, name)
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
    }
}

/// `err` is Go's `name` error (`ErrBadRoot`, …) and its message contains `contains`.
fn assert_error(err: &ValidationError, name: &str, contains: &str) {
    assert_eq!(err.name(), Some(name), "{err:?}");
    assert!(err.msg().contains(contains), "{err:?}: no {contains:?}");
}

/// `err` has no detail (a plain `INVALID_UPDATE`) and its message contains `contains`.
fn assert_no_detail(err: &ValidationError, contains: &str) {
    assert!(err.detail().is_none(), "{err:?}");
    assert_eq!(err.name(), None, "{err:?}");
    assert!(err.msg().contains(contains), "{err:?}: no {contains:?}");
}

/// The base roles of a root for `keys`: one key each, threshold 1, as (role, keys, threshold).
fn base_roles(keys: &RepoKeys) -> Vec<(&'static str, Vec<&TestKey>, i64)> {
    vec![
        ("root", vec![&keys.root], 1),
        ("targets", vec![&keys.targets], 1),
        ("snapshot", vec![&keys.snapshot], 1),
        ("timestamp", vec![&keys.timestamp], 1),
    ]
}

/// A root of `roles` at `version`, expiring in 10 years, signed by `signers`.
fn signed_root(
    roles: &[(&'static str, Vec<&TestKey>, i64)],
    version: i64,
    signers: &[&TestKey],
) -> Vec<u8> {
    let roles: Vec<(&str, &[&TestKey], i64)> = roles
        .iter()
        .map(|(name, keys, threshold)| (*name, keys.as_slice(), *threshold))
        .collect();
    sign_role(&make_root(&roles, version, later(3650)), signers)
}

/// A root for `repo` whose root role is `root_keys` with `threshold`, signed by `signers`.
fn rotated_root(
    repo: &TestRepo,
    root_keys: &[&TestKey],
    threshold: i64,
    version: i64,
    signers: &[&TestKey],
) -> Vec<u8> {
    let mut roles = base_roles(&repo.keys);
    roles[0] = ("root", root_keys.to_vec(), threshold);
    signed_root(&roles, version, signers)
}

// ---- §3.13 1: new repository -------------------------------------------------------------

#[test]
fn empty_new_repo_accepted_and_timestamp_generated() {
    let repo = TestRepo::new(GUN, now());
    let mut uploads = repo.uploads();
    // A client timestamp is ignored.
    uploads.push(upload(RoleName::Timestamp, &repo.timestamp));
    let plan = validate(&StoredRepo::default(), uploads).unwrap();

    assert_eq!(plan.files.len(), 2);
    assert_eq!(plan.files[0].role, RoleName::Root);
    assert_eq!(plan.files[0].bytes, repo.root);
    assert_eq!(plan.files[0].version, 1);
    assert_eq!(plan.files[1].role, RoleName::Targets);
    assert_eq!(plan.files[1].bytes, repo.targets);
    assert!(!plan.snapshot_generated());
    assert_eq!(uploaded_snapshot(&plan).bytes, repo.snapshot);

    let (snapshot, timestamp) = finish_plan(&plan, &[], &[&repo.keys.timestamp]).unwrap();
    assert_ne!(timestamp.bytes, repo.timestamp);
    assert_eq!(timestamp.role, RoleName::Timestamp);
    assert_eq!(timestamp.version, 1);

    let ts = SignedFile::<Timestamp>::parse(&timestamp.bytes).unwrap();
    assert_eq!(ts.signed.version, 1);
    assert_eq!(ts.signed.meta.len(), 1);
    assert_lists(&ts.signed.meta, &[("snapshot", &snapshot.bytes)]);
    assert_eq!(
        ts.signed.meta["snapshot"].length,
        snapshot.bytes.len() as i64
    );
    assert_eq!(ts.signed.meta["snapshot"].hashes.len(), 2);
    let expiry = ts.signed.expires - now();
    assert!(expiry > Duration::days(13) && expiry <= Duration::days(14));
    // The signature verifies with the root's timestamp role.
    let root = plan.root();
    let role =
        RoleKeys::from_ids("timestamp", &root.roles["timestamp"].keyids, &root.keys, 1).unwrap();
    crypto::verify_signatures(&ts.envelope, &role).unwrap();
    // The file is exactly {"signed":<canonical>,"signatures":[...]}.
    let canonical = ts.envelope.canonical_signed().unwrap();
    assert!(timestamp
        .bytes
        .starts_with(&[b"{\"signed\":".as_slice(), &canonical].concat()));

    let writes = plan.writes(snapshot, timestamp);
    let order: Vec<_> = writes.iter().map(|f| f.role.as_str().to_string()).collect();
    assert_eq!(order, ["root", "targets", "snapshot", "timestamp"]);
}

// ---- §3.13 2: root keys must be certificates for this GUN --------------------------------

/// A new repository whose root role is the single `key`, which signs the root.
fn repo_with_root_key(key: &TestKey) -> TestRepo {
    repo_with_root(|repo| rotated_root(repo, &[key], 1, 1, &[key]))
}

#[test]
fn root_cert_for_other_gun_rejected() {
    let repo = repo_with_root_key(&TestKey::root_cert("docker.com/notary/other"));
    assert_eq!(
        new_repo_error(&repo),
        ValidationError::BadRoot {
            msg: "could not validate the path to a trusted root: unable to retrieve valid leaf certificates".into()
        }
    );
}

#[test]
fn root_key_plain_ecdsa_rejected() {
    let repo = repo_with_root_key(&TestKey::ecdsa());
    let err = new_repo_error(&repo);
    assert_error(
        &err,
        "ErrBadRoot",
        "unable to retrieve valid leaf certificates",
    );
}

#[test]
fn wildcard_cn_accepted() {
    let repo = repo_with_root_key(&TestKey::root_cert("docker.com/notary/*"));
    validate(&StoredRepo::default(), repo.uploads()).unwrap();
}

#[test]
fn expired_root_certificate_rejected() {
    let old = TestKey::root_cert_with_validity(
        GUN,
        now() - Duration::days(30),
        now() - Duration::days(1),
    );
    let repo = repo_with_root_key(&old);
    let err = new_repo_error(&repo);
    assert_error(
        &err,
        "ErrBadRoot",
        "unable to retrieve valid leaf certificates",
    );

    // The same root already stored blocks every update, without detail (§3.5 step 2).
    let err = validate(
        &only_root(&repo),
        vec![upload(RoleName::Targets, &repo.targets)],
    )
    .unwrap_err();
    assert_no_detail(&err, "unable to retrieve valid leaf certificates");
}

#[test]
fn expired_root_metadata_rejected() {
    let repo =
        repo_with_root(|r| sign_role(&r.keys.root(1, now() - Duration::hours(1)), &[&r.keys.root]));
    assert_error(&new_repo_error(&repo), "ErrBadRoot", "root expired at ");
}

// ---- §3.13 3, 4: previous timestamp --------------------------------------------------------

/// A repository stored with `timestamp(&repo)` as its previous timestamp, and the plan for an
/// upload of its snapshot.
fn plan_with_prev_timestamp(
    timestamp: impl FnOnce(&TestRepo) -> Vec<u8>,
) -> (TestRepo, UpdatePlan) {
    let repo = TestRepo::new(GUN, now());
    let stored = StoredRepo {
        timestamp: Some(timestamp(&repo)),
        ..repo.stored()
    };
    let plan = validate(&stored, vec![upload(RoleName::Snapshot, &repo.snapshot)]).unwrap();
    (repo, plan)
}

#[test]
fn prev_timestamp_bumps_version() {
    let (repo, plan) = plan_with_prev_timestamp(|repo| {
        sign_role(
            &make_timestamp(41, later(14), &repo.snapshot),
            &[&repo.keys.timestamp],
        )
    });
    let (_, ts) = finish_plan(&plan, &[], &[&repo.keys.timestamp]).unwrap();
    assert_eq!(ts.version, 42);
    assert_eq!(
        SignedFile::<Timestamp>::parse(&ts.bytes)
            .unwrap()
            .signed
            .version,
        42
    );
}

#[test]
fn prev_timestamp_corrupt_fails_without_detail() {
    let (repo, plan) = plan_with_prev_timestamp(|_| b"{not json".to_vec());
    let err = plan.timestamp_to_sign(&repo.snapshot, now()).unwrap_err();
    assert!(err.detail().is_none(), "{err:?}");
}

#[test]
fn prev_timestamp_bad_structure_is_err_validation() {
    let (repo, plan) = plan_with_prev_timestamp(|_| {
        br#"{"signed":{"_type":"Timestamp","version":3,"meta":{}},"signatures":[]}"#.to_vec()
    });
    let err = plan.timestamp_to_sign(&repo.snapshot, now()).unwrap_err();
    assert_eq!(
        err,
        ValidationError::Validation {
            msg: "timestamp type metadata invalid: missing snapshot sha256 checksum information"
                .into()
        }
    );
}

// ---- §3.13 6, 7, 8: partial uploads ------------------------------------------------------

#[test]
fn no_new_root_accepted() {
    let repo = TestRepo::new(GUN, now());
    let uploads = vec![
        upload(RoleName::Targets, &repo.targets),
        upload(RoleName::Snapshot, &repo.snapshot),
        upload(RoleName::Timestamp, &repo.timestamp),
    ];
    let plan = validate(&only_root(&repo), uploads).unwrap();
    assert_eq!(plan.files.len(), 1);
    assert_eq!(plan.files[0].role, RoleName::Targets);
    finish_plan(&plan, &[], &[&repo.keys.timestamp]).unwrap();
}

#[test]
fn no_new_targets_accepted() {
    let repo = TestRepo::new(GUN, now());
    let stored = StoredRepo {
        root: None,
        ..root_and_targets(&repo, &[(RoleName::Targets, &repo.targets)])
    };
    let uploads = vec![
        upload(RoleName::Root, &repo.root),
        upload(RoleName::Snapshot, &repo.snapshot),
    ];
    let plan = validate(&stored, uploads).unwrap();
    assert_eq!(plan.files.len(), 1);
    assert_eq!(plan.files[0].role, RoleName::Root);
}

#[test]
fn only_snapshot_accepted() {
    let repo = TestRepo::new(GUN, now());
    let stored = StoredRepo {
        timestamp: None,
        snapshot: None,
        ..repo.stored()
    };
    let plan = validate(&stored, vec![upload(RoleName::Snapshot, &repo.snapshot)]).unwrap();
    assert!(plan.files.is_empty());
    assert_eq!(uploaded_snapshot(&plan).version, 1);
}

// ---- §3.13 9–11: stored root ------------------------------------------------------------

#[test]
fn old_root_same_version_accepted() {
    let repo = TestRepo::new(GUN, now());
    let plan = validate(&only_root(&repo), repo.uploads()).unwrap();
    assert_eq!(plan.files[0].version, 1);
}

#[test]
fn stored_root_corrupt_fails_without_detail() {
    let repo = TestRepo::new(GUN, now());
    let stored = StoredRepo {
        root: Some(b"{\"signed\": nope".to_vec()),
        ..Default::default()
    };
    let err = validate(&stored, repo.uploads()).unwrap_err();
    assert!(err.detail().is_none(), "{err:?}");
}

#[test]
fn stored_root_missing_root_role_fails_without_detail() {
    let repo = TestRepo::new(GUN, now());
    let mut roles = base_roles(&repo.keys);
    roles.retain(|(name, _, _)| *name != "root");
    let stored = StoredRepo {
        root: Some(signed_root(&roles, 1, &[&repo.keys.root])),
        ..Default::default()
    };
    let err = validate(&stored, repo.uploads()).unwrap_err();
    assert_no_detail(
        &err,
        "root type metadata invalid: missing root role specification",
    );
}

// ---- §3.13 13–16: root rotation -----------------------------------------------------------

/// `N` fresh root certificates for [`GUN`].
fn root_certs<const N: usize>() -> [TestKey; N] {
    std::array::from_fn(|_| TestKey::root_cert(GUN))
}

/// Validates an upload of the root `new` over `repo` stored with the root `current`.
fn upload_root_over(
    repo: &TestRepo,
    current: &[u8],
    new: &[u8],
) -> Result<UpdatePlan, ValidationError> {
    let stored = StoredRepo {
        root: Some(current.to_vec()),
        ..repo.stored()
    };
    validate(&stored, vec![upload(RoleName::Root, new)])
}

/// Validates a new repository's first upload of `root` and `repo`'s targets.
fn new_repo_with_root(repo: &TestRepo, root: &[u8]) -> Result<UpdatePlan, ValidationError> {
    let uploads = vec![
        upload(RoleName::Root, root),
        upload(RoleName::Targets, &repo.targets),
    ];
    validate(&StoredRepo::default(), uploads)
}

#[test]
fn root_rotation_with_old_sigs() {
    let repo = TestRepo::new(GUN, now());
    let a = &repo.keys.root;
    let [b, c] = root_certs();

    // v2: rotate A → B, signed by A and B.
    let v2 = rotated_root(&repo, &[&b], 1, 2, &[a, &b]);
    let plan = upload_root_over(&repo, &repo.root, &v2).unwrap();
    assert_eq!(plan.files[0].version, 2);
    // Only B (not the old key) would not have been enough.
    let v2_b_only = rotated_root(&repo, &[&b], 1, 2, &[&b]);
    let err = upload_root_over(&repo, &repo.root, &v2_b_only).unwrap_err();
    assert_error(
        &err,
        "ErrBadRoot",
        "could not rotate trust to a new trusted root",
    );

    // v3: same keys, signed only by B.
    let v3 = rotated_root(&repo, &[&b], 1, 3, &[&b]);
    upload_root_over(&repo, &v2, &v3).unwrap();

    // v4: rotate B → C, signed by the immediately previous key B and C (not A).
    let v4 = rotated_root(&repo, &[&c], 1, 4, &[&b, &c]);
    upload_root_over(&repo, &v3, &v4).unwrap();
    // Signed by the original A and C: A is no longer trusted.
    let v4_a = rotated_root(&repo, &[&c], 1, 4, &[a, &c]);
    assert_eq!(
        upload_root_over(&repo, &v3, &v4_a).unwrap_err(),
        ValidationError::BadRoot {
            msg: "could not rotate trust to a new trusted root: failed to validate data with current trusted certificates".into()
        }
    );
}

#[test]
fn root_rotation_multiple_keys_threshold_1() {
    let repo = TestRepo::new(GUN, now());
    let [a, b, c] = root_certs();
    let v1 = rotated_root(&repo, &[&a, &b], 1, 1, &[&a]);
    new_repo_with_root(&repo, &v1).unwrap();
    // Rotation signed by B (which did not sign v1) and the new key C.
    let v2 = rotated_root(&repo, &[&c], 1, 2, &[&b, &c]);
    upload_root_over(&repo, &v1, &v2).unwrap();
}

#[test]
fn root_rotation_needs_old_threshold() {
    let repo = TestRepo::new(GUN, now());
    let [a, b, c] = root_certs();
    let v1 = rotated_root(&repo, &[&a, &b], 2, 1, &[&a, &b]);
    let v2 = rotated_root(&repo, &[&c], 1, 2, &[&a, &c]);
    let err = upload_root_over(&repo, &v1, &v2).unwrap_err();
    assert_error(
        &err,
        "ErrBadRoot",
        "could not rotate trust to a new trusted root",
    );
    let v2 = rotated_root(&repo, &[&c], 1, 2, &[&a, &b, &c]);
    upload_root_over(&repo, &v1, &v2).unwrap();
}

#[test]
fn root_rotation_version_must_increment_by_one() {
    let repo = TestRepo::new(GUN, now());
    let b = TestKey::root_cert(GUN);
    let v3 = rotated_root(&repo, &[&b], 1, 3, &[&repo.keys.root, &b]);
    assert_eq!(
        upload_root_over(&repo, &repo.root, &v3).unwrap_err(),
        ValidationError::BadRoot {
            msg: "Root modifications must increment the version. Current 1, new 3".into()
        }
    );
    let v2 = rotated_root(&repo, &[&b], 1, 2, &[&repo.keys.root, &b]);
    upload_root_over(&repo, &repo.root, &v2).unwrap();
}

#[test]
fn new_repo_may_start_at_root_version_2_but_not_3() {
    let repo = TestRepo::new(GUN, now());
    let v2 = rotated_root(&repo, &[&repo.keys.root], 1, 2, &[&repo.keys.root]);
    new_repo_with_root(&repo, &v2).unwrap();
    let v3 = rotated_root(&repo, &[&repo.keys.root], 1, 3, &[&repo.keys.root]);
    let err = validate(&StoredRepo::default(), vec![upload(RoleName::Root, &v3)]).unwrap_err();
    assert_error(&err, "ErrBadRoot", "Current 1, new 3");
}

// ---- §3.13 17, 22: a lone upload into an empty repository ------------------------------------

/// No root at all (§3.13 17), and no targets to generate the first snapshot from (§3.13 22).
#[test]
fn lone_upload_into_empty_repo_is_err_validation() {
    let repo = TestRepo::new(GUN, now());
    for (role, bytes, msg) in [
        (
            RoleName::Targets,
            &repo.targets,
            "no pre-existing root and no root provided in update.",
        ),
        (RoleName::Root, &repo.root, "targets must be loaded first"),
    ] {
        let err = validate(&StoredRepo::default(), vec![upload(role, bytes)]).unwrap_err();
        assert_eq!(err, ValidationError::Validation { msg: msg.into() });
    }
}

// ---- §3.13 18–24, 42–43: server-generated snapshot ----------------------------------------

#[test]
fn snapshot_missing_server_lacks_key() {
    let repo = TestRepo::new(GUN, now());
    let plan = new_repo_with_root(&repo, &repo.root).unwrap();
    let SnapshotPlan::Generate(ts) = &plan.snapshot else {
        panic!("expected a snapshot to generate")
    };
    let err = sign_to_sign(ts, &[]).unwrap_err();
    assert_eq!(err, ts.missing_key_error());
    assert_eq!(
        err,
        ValidationError::BadHierarchy {
            missing: "snapshot".into(),
            msg: MSG_NO_SNAPSHOT_KEY.into()
        }
    );
    // A key the root does not list does not help.
    let err = sign_to_sign(ts, &[&TestKey::ecdsa()]).unwrap_err();
    assert_eq!(err.name(), Some("ErrBadHierarchy"));
}

#[test]
fn snapshot_generated_without_previous() {
    let repo = TestRepo::new(GUN, now());
    let plan = new_repo_with_root(&repo, &repo.root).unwrap();
    assert!(plan.snapshot_generated());
    let (snapshot, timestamp) =
        finish_plan(&plan, &[&repo.keys.snapshot], &[&repo.keys.timestamp]).unwrap();
    assert_eq!(snapshot.version, 1);
    let sn = SignedFile::<Snapshot>::parse(&snapshot.bytes).unwrap();
    assert_eq!(sn.signed.version, 1);
    assert_eq!(sn.signed.meta.len(), 2);
    assert_lists(
        &sn.signed.meta,
        &[("root", &repo.root), ("targets", &repo.targets)],
    );
    assert_eq!(sn.signed.meta["root"].length, repo.root.len() as i64);
    let expiry = sn.signed.expires - now();
    assert!(expiry > Duration::days(1094) && expiry <= Duration::days(1095));
    assert!(sn.signed.extra.is_empty());
    // Signed by the snapshot key, over exactly the embedded canonical bytes.
    let env = Envelope::parse(&snapshot.bytes).unwrap();
    assert_eq!(env.signatures.len(), 1);
    assert_eq!(env.signatures[0].keyid, repo.keys.snapshot.id());
    let ts = SignedFile::<Timestamp>::parse(&timestamp.bytes).unwrap();
    assert_lists(&ts.signed.meta, &[("snapshot", &snapshot.bytes)]);
}

#[test]
fn snapshot_generated_from_previous() {
    let mut repo = TestRepo::new(GUN, now());
    // The previous snapshot lists a delegation that is carried over untouched.
    let deleg = b"some delegation bytes".to_vec();
    let prev = {
        let sn = make_snapshot(
            7,
            later(1095),
            &[
                ("root", &repo.root),
                ("targets", &repo.targets),
                ("targets/old", &deleg),
            ],
        );
        sign_role(&sn, &[&repo.keys.snapshot])
    };
    let mut stored = repo.stored();
    stored.snapshot = Some(prev);
    // New targets v2.
    repo.targets = sign_role(&make_targets(2, later(1095)), &[&repo.keys.targets]);
    let plan = validate(&stored, vec![upload(RoleName::Targets, &repo.targets)]).unwrap();
    let SnapshotPlan::Generate(ts) = &plan.snapshot else {
        panic!("expected a snapshot to generate")
    };
    assert_eq!(ts.version, 8);
    let (snapshot, _) =
        finish_plan(&plan, &[&repo.keys.snapshot], &[&repo.keys.timestamp]).unwrap();
    assert_eq!(snapshot.version, 8);
    let sn = SignedFile::<Snapshot>::parse(&snapshot.bytes).unwrap();
    assert_eq!(sn.signed.version, 8);
    assert_lists(
        &sn.signed.meta,
        &[
            ("targets", &repo.targets),
            ("root", &repo.root),
            ("targets/old", &deleg),
        ],
    );
}

/// The error of an upload of new targets over a stored repository whose previous snapshot is
/// `snapshot(&repo)`.
fn targets_error_with_prev_snapshot(
    snapshot: impl FnOnce(&TestRepo) -> Vec<u8>,
) -> ValidationError {
    let repo = TestRepo::new(GUN, now());
    let stored = StoredRepo {
        snapshot: Some(snapshot(&repo)),
        ..repo.stored()
    };
    validate(&stored, vec![upload(RoleName::Targets, &repo.targets)]).unwrap_err()
}

#[test]
fn snapshot_generation_prev_corrupt_fails_without_detail() {
    let err = targets_error_with_prev_snapshot(|_| b"{{{".to_vec());
    assert!(err.detail().is_none(), "{err:?}");
}

#[test]
fn snapshot_generation_prev_invalid_structure_is_err_validation() {
    let err = targets_error_with_prev_snapshot(|repo| {
        let sn = make_snapshot(3, later(10), &[("targets", &repo.targets)]);
        sign_role(&sn, &[&repo.keys.snapshot])
    });
    assert_eq!(
        err,
        ValidationError::Validation {
            msg: "snapshot type metadata invalid: missing root sha256 checksum information".into()
        }
    );
}

#[test]
fn snapshot_generated_with_stored_root_only_targets_uploaded() {
    let repo = TestRepo::new(GUN, now());
    let plan = validate(
        &only_root(&repo),
        vec![upload(RoleName::Targets, &repo.targets)],
    )
    .unwrap();
    assert!(plan.snapshot_generated());
    assert_eq!(plan.files.len(), 1);
    finish_plan(&plan, &[&repo.keys.snapshot], &[&repo.keys.timestamp]).unwrap();
}

// ---- §3.13 25–27: timestamp keys ----------------------------------------------------------

#[test]
fn server_without_timestamp_key() {
    let repo = TestRepo::new(GUN, now());
    let plan = validate(&StoredRepo::default(), repo.uploads()).unwrap();
    let err = finish_plan(&plan, &[], &[]).unwrap_err();
    assert_eq!(
        err,
        ValidationError::BadRoot {
            msg: "no  timestamp keys exist on the server".into()
        }
    );
    let err = finish_plan(&plan, &[], &[&TestKey::ecdsa()]).unwrap_err();
    assert_error(&err, "ErrBadRoot", "timestamp keys exist on the server");
}

#[test]
fn timestamp_threshold_2_with_one_key() {
    let t2 = TestKey::ecdsa();
    let repo = repo_with_root(|r| {
        let mut roles = base_roles(&r.keys);
        roles[3] = ("timestamp", vec![&r.keys.timestamp, &t2], 2);
        signed_root(&roles, 1, &[&r.keys.root])
    });
    let plan = validate(&StoredRepo::default(), repo.uploads()).unwrap();
    let err = finish_plan(&plan, &[], &[&repo.keys.timestamp]).unwrap_err();
    assert_error(&err, "ErrBadRoot", "timestamp keys exist on the server");
    // Both keys: accepted, both signatures present.
    let (_, ts) = finish_plan(&plan, &[], &[&repo.keys.timestamp, &t2]).unwrap();
    assert_eq!(Envelope::parse(&ts.bytes).unwrap().signatures.len(), 2);
}

// ---- §3.13 28–31: root structure ----------------------------------------------------------

#[test]
fn zero_threshold_rejected_for_every_base_role() {
    for role in ["root", "targets", "snapshot", "timestamp"] {
        let repo = repo_with_root(|r| {
            let mut roles = base_roles(&r.keys);
            roles
                .iter_mut()
                .filter(|(name, _, _)| *name == role)
                .for_each(|r| r.2 = 0);
            signed_root(&roles, 1, &[&r.keys.root])
        });
        assert_eq!(
            new_repo_error(&repo),
            ValidationError::BadRoot {
                msg: format!(
                    "root type metadata invalid: invalid threshold specified for {role}: 0 "
                )
            }
        );
    }
}

#[test]
fn missing_base_role_rejected() {
    for role in ["root", "targets", "snapshot", "timestamp"] {
        let repo = repo_with_root(|r| {
            let mut roles = base_roles(&r.keys);
            roles.retain(|(name, _, _)| *name != role);
            signed_root(&roles, 1, &[&r.keys.root])
        });
        assert_eq!(
            new_repo_error(&repo),
            ValidationError::BadRoot {
                msg: format!("root type metadata invalid: missing {role} role specification")
            }
        );
    }
}

// ---- §3.13 32–41: no signatures, corrupted and modified files -------------------------------

fn strip_signatures(bytes: &[u8]) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
    v["signatures"] = serde_json::json!([]);
    serde_json::to_vec(&v).unwrap()
}

fn flip_first_byte(bytes: &[u8]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b[0] ^= 0xff;
    b
}

fn duplicate_signature(bytes: &[u8]) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
    let sigs = v["signatures"].as_array_mut().unwrap();
    let first = sigs[0].clone();
    sigs.push(first);
    serde_json::to_vec(&v).unwrap()
}

/// Replace `meta.<role>.hashes.sha256` in the snapshot, keeping the old signature.
fn alter_snapshot_hash(snapshot: &[u8], role: &str) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(snapshot).unwrap();
    v["signed"]["meta"][role]["hashes"]["sha256"] =
        serde_json::Value::String(notary_tuf::data::serde_util::b64_encode(&[7u8; 32]));
    serde_json::to_vec(&v).unwrap()
}

#[test]
fn root_without_signatures() {
    let repo = repo_with_root(|r| strip_signatures(&r.root));
    assert_error(
        &new_repo_error(&repo),
        "ErrBadRoot",
        "could not validate the path to a trusted root: failed to validate integrity of roots",
    );
}

#[test]
fn targets_without_signatures() {
    let repo = repo_with_targets(|r| strip_signatures(&r.targets));
    assert_eq!(
        new_repo_error(&repo),
        ValidationError::BadTargets {
            msg: "tuf: data has no signatures".into()
        }
    );
}

#[test]
fn targets_signed_by_wrong_key() {
    let repo = repo_with_targets(|_| sign_role(&make_targets(1, later(100)), &[&TestKey::ecdsa()]));
    assert_error(
        &new_repo_error(&repo),
        "ErrBadTargets",
        "valid signatures did not meet threshold for targets",
    );
}

/// One upload of a valid first publish replaced by a broken copy: (what, upload index,
/// bytes, Go error name, text its message contains).
type BrokenUpload = (&'static str, usize, Vec<u8>, &'static str, &'static str);

#[test]
fn broken_uploads_rejected_with_the_roles_error() {
    let repo = TestRepo::new(GUN, now());
    let (root, targets, snapshot) = (&repo.root, &repo.targets, &repo.snapshot);
    let cases: [BrokenUpload; 8] = [
        (
            "snapshot without signatures",
            2,
            strip_signatures(snapshot),
            "ErrBadSnapshot",
            "tuf: data has no signatures",
        ),
        ("root corrupt", 0, flip_first_byte(root), "ErrBadRoot", ""),
        (
            "targets corrupt",
            1,
            flip_first_byte(targets),
            "ErrBadTargets",
            "",
        ),
        (
            "snapshot corrupt",
            2,
            flip_first_byte(snapshot),
            "ErrBadSnapshot",
            "",
        ),
        (
            "root modified size",
            0,
            flip_first_byte(&duplicate_signature(root)),
            "ErrBadRoot",
            "",
        ),
        (
            "targets modified size: the snapshot hash fails",
            1,
            duplicate_signature(targets),
            "ErrBadSnapshot",
            "checksum for targets did not match: expected ",
        ),
        (
            "root hash modified in the snapshot",
            2,
            alter_snapshot_hash(snapshot, "root"),
            "ErrBadSnapshot",
            "valid signatures did not meet threshold for snapshot",
        ),
        (
            "targets hash modified in the snapshot",
            2,
            alter_snapshot_hash(snapshot, "targets"),
            "ErrBadSnapshot",
            "",
        ),
    ];
    for (what, index, bytes, name, contains) in cases {
        let err = error_with_upload(&repo, index, bytes);
        assert_eq!(err.name(), Some(name), "{what}: {err:?}");
        assert!(err.msg().contains(contains), "{what}: {err:?}");
    }
}

#[test]
fn snapshot_hash_mismatch_signed_correctly() {
    // Re-signed after the change: the signature passes, the cross-check does not.
    let mut repo = TestRepo::new(GUN, now());
    let other_targets = sign_role(&make_targets(5, later(100)), &[&repo.keys.targets]);
    let sn = make_snapshot(
        1,
        later(100),
        &[("root", &repo.root), ("targets", &other_targets)],
    );
    repo.snapshot = sign_role(&sn, &[&repo.keys.snapshot]);
    let ValidationError::BadSnapshot { msg } = new_repo_error(&repo) else {
        panic!("expected ErrBadSnapshot")
    };
    assert!(
        msg.starts_with("sha256 checksum for targets did not match: expected ")
            || msg.starts_with("sha512 checksum for targets did not match: expected "),
        "{msg}"
    );
}

/// Targets (version 1) delegating `name` to `key` with threshold 1, signed by `repo`'s key.
fn targets_delegating(repo: &TestRepo, name: &str, key: &TestKey) -> Vec<u8> {
    let mut t = make_targets(1, later(100));
    add_delegation(&mut t, name, &[key], 1);
    sign_role(&t, &[&repo.keys.targets])
}

#[test]
fn snapshot_missing_entry_for_uploaded_delegation() {
    let dkey = TestKey::ecdsa();
    let repo = repo_with_targets(|r| targets_delegating(r, "targets/a", &dkey));
    let a = sign_role(&make_targets(1, later(100)), &[&dkey]);
    let mut uploads = repo.uploads();
    uploads.push(upload("targets/a".parse().unwrap(), &a));
    let err = validate(&StoredRepo::default(), uploads).unwrap_err();
    assert_eq!(
        err,
        ValidationError::BadSnapshot {
            msg: "no checksums for supported algorithms were provided for targets/a".into()
        }
    );
}

#[test]
fn expired_targets_and_snapshot_rejected() {
    let repo = repo_with_targets(|r| {
        sign_role(
            &make_targets(1, now() - Duration::seconds(5)),
            &[&r.keys.targets],
        )
    });
    assert_error(
        &new_repo_error(&repo),
        "ErrBadTargets",
        "targets expired at ",
    );

    let repo = TestRepo::new(GUN, now());
    let sn = make_snapshot(
        1,
        now() - Duration::seconds(5),
        &[("root", &repo.root), ("targets", &repo.targets)],
    );
    let err = error_with_upload(&repo, 2, sign_role(&sn, &[&repo.keys.snapshot]));
    assert_error(&err, "ErrBadSnapshot", "snapshot expired at ");
}

// ---- §3.13 44–47: targets and delegations ----------------------------------------------------

/// The role `name` (a delegation).
fn role(name: &str) -> RoleName {
    name.parse().unwrap()
}

#[test]
fn no_targets_uploaded_loads_nothing_from_storage() {
    let repo = TestRepo::new(GUN, now());
    let stored = root_and_targets(&repo, &[(RoleName::Targets, b"garbage")]);
    let uploads = vec![upload(RoleName::Snapshot, &repo.snapshot)];
    assert!(stored_targets_needed(&uploads).is_empty());
    let plan = validate(&stored, uploads).unwrap();
    assert!(plan.files.is_empty());
}

/// A repo whose targets delegates to `targets/level1`, with the delegation file.
fn repo_with_delegation() -> (TestRepo, Vec<u8>) {
    let dkey = TestKey::ecdsa();
    let mut repo = TestRepo::new(GUN, now());
    repo.targets = targets_delegating(&repo, "targets/level1", &dkey);
    let level1 = sign_role(&make_targets(1, later(100)), &[&dkey]);
    repo.resign_snapshot(1, now(), &[("targets/level1", &level1)]);
    (repo, level1)
}

#[test]
fn delegation_requires_stored_parent() {
    let (repo, level1) = repo_with_delegation();
    let uploads = vec![upload(role("targets/level1"), &level1)];
    assert_eq!(
        stored_targets_needed(&uploads)
            .into_iter()
            .collect::<Vec<_>>(),
        vec![RoleName::Targets]
    );
    let err = validate(&only_root(&repo), uploads.clone()).unwrap_err();
    assert_eq!(
        err,
        ValidationError::BadTargets {
            msg: "targets must be loaded first".into()
        }
    );
    let stored = root_and_targets(&repo, &[(RoleName::Targets, &repo.targets)]);
    let plan = validate(&stored, uploads).unwrap();
    assert_eq!(plan.files.len(), 1);
    assert_eq!(plan.files[0].role.as_str(), "targets/level1");
    // The generated snapshot covers the delegation and the parent pulled from storage.
    let (snapshot, _) =
        finish_plan(&plan, &[&repo.keys.snapshot], &[&repo.keys.timestamp]).unwrap();
    let sn = SignedFile::<Snapshot>::parse(&snapshot.bytes).unwrap();
    assert_lists(
        &sn.signed.meta,
        &[("targets/level1", &level1), ("targets", &repo.targets)],
    );
}

#[test]
fn stored_parent_corrupt_fails_without_detail() {
    let (repo, level1) = repo_with_delegation();
    let stored = root_and_targets(&repo, &[(RoleName::Targets, b"[1,2")]);
    let err = validate(&stored, vec![upload(role("targets/level1"), &level1)]).unwrap_err();
    assert!(err.detail().is_none(), "{err:?}");
}

#[test]
fn delegation_parent_in_update() {
    let (repo, level1) = repo_with_delegation();
    // Garbage parent in the same update.
    let uploads = vec![
        upload(role("targets/level1"), &level1),
        upload(RoleName::Targets, b"garbage"),
    ];
    let err = validate(&only_root(&repo), uploads).unwrap_err();
    assert_eq!(err.name(), Some("ErrBadTargets"));
    // Valid parent: queued before the delegation, whatever the upload order.
    let uploads = vec![
        upload(role("targets/level1"), &level1),
        upload(RoleName::Targets, &repo.targets),
        upload(RoleName::Snapshot, &repo.snapshot),
    ];
    let plan = validate(&only_root(&repo), uploads).unwrap();
    let order: Vec<_> = plan
        .files
        .iter()
        .map(|f| f.role.as_str().to_string())
        .collect();
    assert_eq!(order, ["targets", "targets/level1"]);
}

#[test]
fn delegation_not_in_parent() {
    let repo = TestRepo::new(GUN, now()); // targets delegates nothing
    let level1 = upload(
        role("targets/level1"),
        &sign_role(&make_targets(1, later(100)), &[&TestKey::ecdsa()]),
    );
    let parent = upload(RoleName::Targets, &repo.targets);
    let stored_parent = root_and_targets(&repo, &[(RoleName::Targets, &repo.targets)]);
    for (what, stored, uploads) in [
        (
            "parent uploaded",
            only_root(&repo),
            vec![parent.clone(), level1.clone()],
        ),
        (
            "parent from storage",
            stored_parent.clone(),
            vec![level1.clone()],
        ),
        (
            "both (the uploaded parent wins)",
            stored_parent,
            vec![parent, level1],
        ),
    ] {
        assert_eq!(
            validate(&stored, uploads).unwrap_err(),
            ValidationError::BadTargets {
                msg: "tuf: invalid role targets/level1. delegation does not exist".into()
            },
            "{what}"
        );
    }
}

#[test]
fn nested_delegation_needs_whole_chain() {
    let k1 = TestKey::ecdsa();
    let k2 = TestKey::ecdsa();
    let mut repo = TestRepo::new(GUN, now());
    repo.targets = targets_delegating(&repo, "targets/a", &k1);
    let mut a = make_targets(1, later(100));
    add_delegation(&mut a, "targets/a/b", &[&k2], 1);
    let a = sign_role(&a, &[&k1]);
    let b = sign_role(&make_targets(1, later(100)), &[&k2]);
    let stored = root_and_targets(
        &repo,
        &[(RoleName::Targets, &repo.targets), (role("targets/a"), &a)],
    );
    let uploads = vec![upload(role("targets/a/b"), &b)];
    assert_eq!(stored_targets_needed(&uploads).len(), 2);
    let plan = validate(&stored, uploads).unwrap();
    assert_eq!(plan.files.len(), 1);
    // Signed by the wrong key: the delegation's own keys are used.
    let bad = sign_role(&make_targets(1, later(100)), &[&k1]);
    let err = validate(&stored, vec![upload(role("targets/a/b"), &bad)]).unwrap_err();
    assert_error(
        &err,
        "ErrBadTargets",
        "valid signatures did not meet threshold for targets/a/b",
    );
}

#[test]
fn delegation_entry_with_bad_name_rejected() {
    let mut repo = TestRepo::new(GUN, now());
    repo.targets = targets_delegating(&repo, "targets/a/b", &TestKey::ecdsa());
    let err = validate(
        &only_root(&repo),
        vec![upload(RoleName::Targets, &repo.targets)],
    )
    .unwrap_err();
    assert_eq!(
        err,
        ValidationError::BadTargets {
            msg: "targets type metadata invalid: delegation role targets/a/b invalid".into()
        }
    );
}

// ---- §2.3 and §3.14 15–16: error detail rendering -------------------------------------------

#[test]
fn detail_json_matches_go() {
    let e = ValidationError::no_snapshot_key();
    assert_eq!(
        e.detail_json().unwrap(),
        r#"{"Name":"ErrBadHierarchy","Error":{"Missing":"snapshot","Msg":"no snapshot was included in update and server does not hold current snapshot key for repository"}}"#
    );
    let e = ValidationError::BadRoot {
        msg: "a <b> & c".into(),
    };
    assert_eq!(
        e.detail_json().unwrap(),
        r#"{"Name":"ErrBadRoot","Error":{"Msg":"a \u003cb\u003e \u0026 c"}}"#
    );
    for (e, name) in [
        (
            ValidationError::Validation { msg: "m".into() },
            "ErrValidation",
        ),
        (
            ValidationError::BadTargets { msg: "m".into() },
            "ErrBadTargets",
        ),
        (
            ValidationError::BadSnapshot { msg: "m".into() },
            "ErrBadSnapshot",
        ),
    ] {
        assert_eq!(
            e.detail_json().unwrap(),
            format!(r#"{{"Name":"{name}","Error":{{"Msg":"m"}}}}"#)
        );
    }
    let e = ValidationError::NoDetail { msg: "db".into() };
    assert!(e.detail().is_none() && e.detail_json().is_none() && e.name().is_none());
}

// ---- §4.3: read-path regeneration -------------------------------------------------------------

#[test]
fn read_path_keeps_fresh_timestamp() {
    let repo = TestRepo::new(GUN, now());
    let sha = timestamp_snapshot_sha256(&repo.timestamp).unwrap();
    assert_eq!(sha.len(), 64);
    let digest = ring::digest::digest(&ring::digest::SHA256, &repo.snapshot);
    assert_eq!(sha, hex::encode(digest.as_ref()));
    assert!(snapshot_to_resign(GUN, &repo.root, &repo.snapshot, now())
        .unwrap()
        .is_none());
    assert!(
        timestamp_to_resign(GUN, &repo.root, &repo.snapshot, &repo.timestamp, now())
            .unwrap()
            .is_none()
    );
}

#[test]
fn read_path_regenerates_expired_timestamp() {
    let repo = TestRepo::new(GUN, now());
    let when = now() + Duration::days(20); // timestamp (14 d) expired, the rest not
    assert!(snapshot_to_resign(GUN, &repo.root, &repo.snapshot, when)
        .unwrap()
        .is_none());
    let ts = timestamp_to_resign(GUN, &repo.root, &repo.snapshot, &repo.timestamp, when)
        .unwrap()
        .expect("a new timestamp");
    assert_eq!(ts.version, 2);
    let file = sign_to_sign(&ts, &[&repo.keys.timestamp]).unwrap();
    let parsed = SignedFile::<Timestamp>::parse(&file.bytes).unwrap();
    assert!(parsed.signed.expires > when + Duration::days(13));
    assert_lists(&parsed.signed.meta, &[("snapshot", &repo.snapshot)]);
}

#[test]
fn read_path_regenerates_expired_snapshot_then_timestamp() {
    let mut repo = TestRepo::new(GUN, now());
    let sn = make_snapshot(
        4,
        now() + Duration::days(1),
        &[("root", &repo.root), ("targets", &repo.targets)],
    );
    repo.snapshot = sign_role(&sn, &[&repo.keys.snapshot]);
    repo.timestamp = sign_role(
        &make_timestamp(9, now() + Duration::days(14), &repo.snapshot),
        &[&repo.keys.timestamp],
    );
    let when = now() + Duration::days(2);
    let to_sign = snapshot_to_resign(GUN, &repo.root, &repo.snapshot, when)
        .unwrap()
        .expect("a new snapshot");
    assert_eq!(to_sign.version, 5);
    let new_sn = sign_to_sign(&to_sign, &[&repo.keys.snapshot]).unwrap();
    let parsed = SignedFile::<Snapshot>::parse(&new_sn.bytes).unwrap();
    assert_lists(
        &parsed.signed.meta,
        &[("root", &repo.root), ("targets", &repo.targets)],
    );
    // The timestamp still points to the old snapshot: regenerate it too.
    let ts = timestamp_to_resign(GUN, &repo.root, &new_sn.bytes, &repo.timestamp, when)
        .unwrap()
        .expect("a new timestamp");
    assert_eq!(ts.version, 10);
}

#[test]
fn read_path_refuses_expired_root() {
    let repo =
        repo_with_root(|r| sign_role(&r.keys.root(1, now() + Duration::days(1)), &[&r.keys.root]));
    let when = now() + Duration::days(30);
    let err =
        timestamp_to_resign(GUN, &repo.root, &repo.snapshot, &repo.timestamp, when).unwrap_err();
    assert_no_detail(&err, "root expired at ");
}

#[test]
fn read_path_snapshot_must_match_root() {
    let repo = TestRepo::new(GUN, now());
    let other = TestRepo::new(GUN, now());
    let when = now() + Duration::days(20);
    // A snapshot signed by another repository's key does not verify.
    let err =
        timestamp_to_resign(GUN, &repo.root, &other.snapshot, &repo.timestamp, when).unwrap_err();
    assert_no_detail(&err, "valid signatures did not meet threshold for snapshot");
}

// ---- Replaying the Go-generated fixtures (fixtures/tuf, see fixtures/README.md) --------------

mod go_fixtures {
    use std::collections::BTreeMap;
    use std::fs;
    use std::path::{Path, PathBuf};

    use super::*;
    use notary_tuf::data::Root;

    fn dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/tuf")
    }

    fn subdirs(p: &Path) -> Vec<String> {
        let mut out: Vec<String> = fs::read_dir(p)
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().unwrap().is_dir())
            .map(|e| e.file_name().into_string().unwrap())
            .collect();
        out.sort();
        out
    }

    /// Every metadata file of a step: role → bytes (delegations under `targets/`).
    fn step_files(step: &Path) -> BTreeMap<RoleName, Vec<u8>> {
        let mut out = BTreeMap::new();
        for role in ["root", "targets", "snapshot", "timestamp"] {
            out.insert(
                role.parse().unwrap(),
                fs::read(step.join(format!("{role}.json"))).unwrap(),
            );
        }
        if let Ok(entries) = fs::read_dir(step.join("targets")) {
            for e in entries {
                let name = e.unwrap().file_name().into_string().unwrap();
                let role = format!("targets/{}", name.trim_end_matches(".json"));
                out.insert(
                    role.parse().unwrap(),
                    fs::read(step.join("targets").join(&name)).unwrap(),
                );
            }
        }
        out
    }

    fn stored(files: &BTreeMap<RoleName, Vec<u8>>) -> StoredRepo {
        StoredRepo {
            root: files.get(&RoleName::Root).cloned(),
            targets: files
                .iter()
                .filter(|(r, _)| r.is_targets_like())
                .map(|(r, b)| (r.clone(), b.clone()))
                .collect(),
            snapshot: files.get(&RoleName::Snapshot).cloned(),
            timestamp: files.get(&RoleName::Timestamp).cloned(),
        }
    }

    /// A time inside the step's validity window (its timestamp was made 14 days before expiry).
    fn step_now(files: &BTreeMap<RoleName, Vec<u8>>) -> DateTime<Utc> {
        let ts = SignedFile::<Timestamp>::parse(&files[&RoleName::Timestamp]).unwrap();
        ts.signed.expires - Duration::days(14) + Duration::hours(1)
    }

    fn root_of(files: &BTreeMap<RoleName, Vec<u8>>) -> Root {
        SignedFile::<Root>::parse(&files[&RoleName::Root])
            .unwrap()
            .signed
    }

    /// Each publish of each scenario, replayed on top of the previous step: accepted, with the
    /// snapshot generated exactly when the Go server generated it, and the same planned
    /// snapshot/timestamp meta and versions as the Go server's.
    #[test]
    fn every_publish_replays() {
        let (mut replayed, mut singles) = (0, 0);
        for scenario in subdirs(&dir()) {
            let steps = subdirs(&dir().join(&scenario));
            let first = step_files(&dir().join(&scenario).join(&steps[0]));
            let client_snapshot_ids = root_of(&first).roles["snapshot"].keyids.clone();
            for pair in steps.windows(2) {
                let gun = format!("example.com/fixtures/{scenario}");
                let before = step_files(&dir().join(&scenario).join(&pair[0]));
                let after = step_files(&dir().join(&scenario).join(&pair[1]));
                let client_snapshot =
                    root_of(&after).roles["snapshot"].keyids == client_snapshot_ids;
                let uploads: Vec<Upload> = after
                    .iter()
                    .filter(|(role, bytes)| match role {
                        RoleName::Timestamp => false,
                        RoleName::Snapshot => client_snapshot,
                        _ => before.get(*role) != Some(*bytes),
                    })
                    .map(|(role, bytes)| upload(role.clone(), bytes))
                    .collect();
                let now = step_now(&after);
                let what = format!("{scenario}/{}", pair[1]);
                let plan = validate_update(&gun, &stored(&before), uploads, now)
                    .unwrap_or_else(|e| panic!("{what}: {e:?}"));
                assert_eq!(plan.snapshot_generated(), !client_snapshot, "{what}");
                let go_snapshot = &after[&RoleName::Snapshot];
                let go_sn = SignedFile::<Snapshot>::parse(go_snapshot).unwrap().signed;
                let version = |files: &BTreeMap<RoleName, Vec<u8>>| {
                    SignedFile::<Timestamp>::parse(&files[&RoleName::Timestamp])
                        .unwrap()
                        .signed
                        .version
                };
                // Some steps are several publishes (one timestamp each): compare the generated
                // contents only for single-publish steps.
                let single = version(&after) == version(&before) + 1;
                if let (SnapshotPlan::Generate(to_sign), true) = (&plan.snapshot, single) {
                    let planned: Snapshot = serde_json::from_slice(&to_sign.canonical).unwrap();
                    assert_eq!(planned.meta, go_sn.meta, "{what}");
                    assert_eq!(to_sign.version, go_sn.version, "{what}");
                }
                let ts = plan.timestamp_to_sign(go_snapshot, now).unwrap();
                let go_ts = SignedFile::<Timestamp>::parse(&after[&RoleName::Timestamp])
                    .unwrap()
                    .signed;
                let planned: Timestamp = serde_json::from_slice(&ts.canonical).unwrap();
                assert_eq!(planned.meta, go_ts.meta, "{what}");
                assert_eq!(ts.version, version(&before) + 1, "{what}");
                if single {
                    assert_eq!(ts.version, go_ts.version, "{what}");
                    singles += 1;
                }
                replayed += 1;
            }
        }
        assert!(replayed >= 9, "only {replayed} publishes replayed");
        assert!(singles >= 5, "only {singles} single publishes");
    }

    /// The read path on every golden step: nothing to re-sign while valid; after the timestamp
    /// expired, a new timestamp (version + 1) for the same snapshot, keyed by the root's
    /// timestamp role.
    #[test]
    fn read_path_on_every_step() {
        let mut checked = 0;
        for scenario in subdirs(&dir()) {
            let gun = format!("example.com/fixtures/{scenario}");
            for step in subdirs(&dir().join(&scenario)) {
                let f = step_files(&dir().join(&scenario).join(&step));
                let (root, sn, ts) = (
                    &f[&RoleName::Root],
                    &f[&RoleName::Snapshot],
                    &f[&RoleName::Timestamp],
                );
                let what = format!("{scenario}/{step}");
                let now = step_now(&f);
                let sha = timestamp_snapshot_sha256(ts).unwrap();
                assert_eq!(
                    sha,
                    hex::encode(ring::digest::digest(&ring::digest::SHA256, sn))
                );
                assert!(
                    snapshot_to_resign(&gun, root, sn, now).unwrap().is_none(),
                    "{what}"
                );
                assert!(
                    timestamp_to_resign(&gun, root, sn, ts, now)
                        .unwrap()
                        .is_none(),
                    "{what}"
                );
                let later = now + Duration::days(15);
                assert!(
                    snapshot_to_resign(&gun, root, sn, later).unwrap().is_none(),
                    "{what}"
                );
                let new_ts = timestamp_to_resign(&gun, root, sn, ts, later)
                    .unwrap_or_else(|e| panic!("{what}: {e:?}"))
                    .expect("expired timestamp");
                let old = SignedFile::<Timestamp>::parse(ts).unwrap().signed;
                assert_eq!(new_ts.version, old.version + 1, "{what}");
                let r = root_of(&f);
                assert_eq!(
                    new_ts.keys.keys.keys().collect::<Vec<_>>(),
                    r.roles["timestamp"].keyids.iter().collect::<Vec<_>>(),
                    "{what}"
                );
                checked += 1;
            }
        }
        assert!(checked >= 16, "only {checked} steps checked");
    }
}

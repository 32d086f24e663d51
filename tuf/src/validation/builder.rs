//! An in-memory repository being assembled and checked, the pure counterpart of Go's
//! `tuf.RepoBuilder` as the server uses it (spec-server §3.6–3.9).
//!
//! Load failures are plain message strings: the pipeline wraps them into the typed error of
//! the step that failed (`ErrBadRoot{Msg}`, ...) or into a no-detail error for stored data.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::cjson;
use crate::crypto::{self, x509, RoleKeys};
use crate::data::{DelegationRole, Envelope, FileMeta, RoleName, Root, Snapshot, Targets, SHA256};
use crate::error::TufError;

/// A load failure: the Go error text.
pub(crate) type LoadError = String;

fn msg(e: impl ToString) -> LoadError {
    e.to_string()
}

fn invalid(role: &str, m: impl Into<String>) -> LoadError {
    TufError::InvalidMetadata {
        role: role.to_string(),
        msg: m.into(),
    }
    .to_string()
}

/// A loaded root: the parsed object and its exact bytes.
#[derive(Debug, Clone)]
pub(crate) struct LoadedRoot {
    pub root: Root,
    pub bytes: Vec<u8>,
}

/// A loaded targets or delegation file.
#[derive(Debug, Clone)]
pub(crate) struct LoadedTargets {
    pub targets: Targets,
    pub bytes: Vec<u8>,
}

/// `signed.VerifyVersion`.
fn verify_version(version: i64, min_version: i64) -> Result<(), LoadError> {
    if version < min_version {
        return Err(msg(TufError::LowVersion {
            actual: version,
            current: min_version,
        }));
    }
    Ok(())
}

/// `signed.VerifyExpiry`: expired when `expires` is strictly before `now`.
pub(crate) fn verify_expiry(
    expires: &DateTime<Utc>,
    role: &str,
    now: DateTime<Utc>,
) -> Result<(), LoadError> {
    if *expires < now {
        return Err(msg(TufError::Expired {
            role: role.to_string(),
            expired: cjson::format_go_date(expires),
        }));
    }
    Ok(())
}

/// Go `isValidRootRoleStructure`: threshold ≥ 1 and every key ID resolves.
fn check_role_structure(
    container: &str,
    role: &str,
    threshold: i64,
    keyids: &[String],
    keys: &BTreeMap<String, crate::data::PublicKey>,
) -> Result<(), LoadError> {
    if threshold < 1 {
        return Err(invalid(
            container,
            format!("invalid threshold specified for {role}: {threshold} "),
        ));
    }
    if let Some(id) = keyids.iter().find(|id| !keys.contains_key(*id)) {
        return Err(invalid(
            container,
            format!("key ID {id} specified in {role} without corresponding key"),
        ));
    }
    Ok(())
}

/// Go `RootFromSigned` / `isValidRootStructure` (spec-server §3.6 step 2).
pub(crate) fn parse_root(env: &Envelope) -> Result<Root, LoadError> {
    let root: Root = env.decode_signed().map_err(msg)?;
    if root.type_ != Root::TYPE {
        return Err(invalid(
            "root",
            format!("expected type {}, not {}", Root::TYPE, root.type_),
        ));
    }
    if root.version < 1 {
        return Err(invalid("root", "version cannot be less than 1"));
    }
    for name in ["root", "targets", "snapshot", "timestamp"] {
        let Some(role) = root.roles.get(name) else {
            return Err(invalid(
                "root",
                format!("missing {name} role specification"),
            ));
        };
        check_role_structure("root", name, role.threshold, &role.keyids, &root.keys)?;
    }
    Ok(root)
}

/// Parse the envelope of a metadata file; a missing `signed` is reported for the root as Go
/// does (`root file contained an empty payload`).
fn parse_envelope(bytes: &[u8], role: &RoleName) -> Result<Envelope, LoadError> {
    match Envelope::parse(bytes) {
        Ok(env) => Ok(env),
        Err(TufError::MissingSigned) if *role == RoleName::Root => {
            Err(invalid("root", "root file contained an empty payload"))
        }
        Err(e) => Err(msg(e)),
    }
}

/// The keys and threshold of a base role (`snapshot`, `timestamp`, `targets`, `root`) in a root
/// that passed [`parse_root`].
pub(crate) fn base_role(root: &Root, name: &str) -> Result<RoleKeys, LoadError> {
    let role = root
        .roles
        .get(name)
        .ok_or_else(|| format!("tuf: invalid role {name}. role not found in root file"))?;
    RoleKeys::from_ids(name, &role.keyids, &root.keys, role.threshold).map_err(|id| {
        format!("tuf: invalid role {name}. key with ID {id} was not found in root metadata")
    })
}

/// Load a root (Go `loadRoot` + `trustpinning.ValidateRoot` with an empty pinning config,
/// spec-server §3.6).
pub(crate) fn load_root(
    gun: &str,
    bytes: &[u8],
    prev: Option<&Root>,
    min_version: i64,
    check_expiry: bool,
    now: DateTime<Utc>,
) -> Result<LoadedRoot, LoadError> {
    const LEAF_FAIL: &str =
        "could not validate the path to a trusted root: unable to retrieve valid leaf certificates";
    const ROTATE_FAIL: &str = "could not rotate trust to a new trusted root: failed to validate data with current trusted certificates";
    const PREV_FAIL: &str = "could not validate the path to a trusted root: could not retrieve trusted certs from previous root role data";
    const SELF_FAIL: &str =
        "could not validate the path to a trusted root: failed to validate integrity of roots";

    let env = parse_envelope(bytes, &RoleName::Root)?;
    let root = parse_root(&env)?;
    let root_role = base_role(&root, "root")?;

    // Certificates of the new root: CN must match the GUN, sanity and expiry always enforced.
    let chains = x509::root_role_cert_chains(&root.keys, &root.roles["root"].keyids);
    let valid = x509::valid_root_chains(&chains, gun, true, now).ok_or(LEAF_FAIL)?;

    if let Some(prev) = prev {
        // Rotation: the previous root's certificates (expiry not checked) and root threshold.
        let prev_role = &prev.roles["root"];
        let prev_chains = x509::root_role_cert_chains(&prev.keys, &prev_role.keyids);
        let trusted = x509::valid_root_chains(&prev_chains, gun, false, now).ok_or(PREV_FAIL)?;
        let keys = RoleKeys::new("root", x509::chains_to_keys(&trusted), prev_role.threshold);
        crypto::verify_signatures(&env, &keys).map_err(|_| ROTATE_FAIL)?;
    }

    // TOFU pinning accepts every surviving leaf; then the root must sign itself.
    let keys = RoleKeys::new("root", x509::chains_to_keys(&valid), root_role.threshold);
    crypto::verify_signatures(&env, &keys).map_err(|_| SELF_FAIL)?;

    verify_version(root.version, min_version)?;
    if check_expiry {
        verify_expiry(&root.expires, "root", now)?;
    }
    Ok(LoadedRoot {
        root,
        bytes: bytes.to_vec(),
    })
}

/// Go `isValidTargetsStructure` for `role`.
fn check_targets_structure(t: &Targets, role: &RoleName) -> Result<(), LoadError> {
    let name = role.as_str();
    if t.type_ != Targets::TYPE {
        return Err(invalid(
            name,
            format!("expected type {}, not {}", Targets::TYPE, t.type_),
        ));
    }
    if t.version < 1 {
        return Err(invalid(name, "version cannot be less than one"));
    }
    for d in &t.delegations.roles {
        let parent_ok = crate::data::is_delegation(&d.name)
            && d.name.rfind('/').map(|i| &d.name[..i]) == Some(name);
        if !parent_ok {
            return Err(invalid(name, format!("delegation role {} invalid", d.name)));
        }
        check_role_structure(name, &d.name, d.threshold, &d.keyids, &t.delegations.keys)?;
    }
    Ok(())
}

/// Go `SignedTargets.BuildDelegationRole`: the entry's keys must all resolve.
fn delegation_keys(parent: &Targets, entry: &DelegationRole) -> Result<RoleKeys, LoadError> {
    RoleKeys::from_ids(
        entry.name.clone(),
        &entry.keyids,
        &parent.delegations.keys,
        entry.threshold,
    )
    .map_err(|id| {
        format!(
            "tuf: invalid role {}. role lists unknown key {id} as a signing key",
            entry.name
        )
    })
}

/// The builder state: what has been loaded so far, and which loaded bytes still await a hash
/// check against a snapshot.
pub(crate) struct Builder {
    pub now: DateTime<Utc>,
    pub root: Option<LoadedRoot>,
    pub targets: BTreeMap<RoleName, LoadedTargets>,
}

impl Builder {
    pub fn new(now: DateTime<Utc>) -> Self {
        Builder {
            now,
            root: None,
            targets: BTreeMap::new(),
        }
    }

    pub fn is_loaded(&self, role: &RoleName) -> bool {
        match role {
            RoleName::Root => self.root.is_some(),
            RoleName::Targets | RoleName::Delegation(_) => self.targets.contains_key(role),
            _ => false,
        }
    }

    fn root(&self) -> Result<&Root, LoadError> {
        self.root
            .as_ref()
            .map(|r| &r.root)
            .ok_or_else(|| "root must be loaded first".to_string())
    }

    /// Go `loadOptions` + `loadTargets`/`loadDelegation` (spec-server §3.7, §3.8).
    pub fn load_targets(
        &mut self,
        role: &RoleName,
        bytes: &[u8],
        min_version: i64,
        check_expiry: bool,
    ) -> Result<(), LoadError> {
        if self.is_loaded(role) {
            return Err(format!("{role} has already been loaded"));
        }
        let root = self.root()?;
        let loaded = match role {
            RoleName::Targets => {
                let keys = base_role(root, "targets")?;
                let env = parse_envelope(bytes, role)?;
                crypto::verify_signatures(&env, &keys).map_err(msg)?;
                let t: Targets = env.decode_signed().map_err(msg)?;
                check_targets_structure(&t, role)?;
                verify_version(t.version, min_version)?;
                if check_expiry {
                    verify_expiry(&t.expires, role.as_str(), self.now)?;
                }
                t
            }
            RoleName::Delegation(_) => {
                if !self.is_loaded(&RoleName::Targets) {
                    return Err("targets must be loaded first".to_string());
                }
                let keys = self.delegation_role(role)?;
                let env = parse_envelope(bytes, role)?;
                let t: Targets = env.decode_signed().map_err(msg)?;
                check_targets_structure(&t, role)?;
                verify_version(t.version, min_version)?;
                crypto::verify_signatures(&env, &keys).map_err(msg)?;
                if check_expiry {
                    verify_expiry(&t.expires, role.as_str(), self.now)?;
                }
                t
            }
            other => return Err(format!("{other} is an invalid role")),
        };
        self.targets.insert(
            role.clone(),
            LoadedTargets {
                targets: loaded,
                bytes: bytes.to_vec(),
            },
        );
        Ok(())
    }

    /// Go `Repo.GetDelegationRole`: walk from `targets` through loaded files down to the
    /// parent; every link must be a delegation entry whose keys resolve, and the parent must
    /// list `role`. Certificate keys of the role must pass sanity checks (expiry not checked).
    fn delegation_role(&self, role: &RoleName) -> Result<RoleKeys, LoadError> {
        let not_found = || format!("tuf: invalid role {role}. delegation does not exist");
        let mut chain = role.ancestors();
        chain.push(role.clone());
        // chain = [targets, …, parent, role]; each file must delegate to the next name.
        for pair in chain.windows(2) {
            let (holder, child) = (&pair[0], &pair[1]);
            let file = self.targets.get(holder).ok_or_else(not_found)?;
            let entry = file
                .targets
                .delegations
                .roles
                .iter()
                .find(|d| d.name == child.as_str())
                .ok_or_else(not_found)?;
            if child == role {
                let keys = delegation_keys(&file.targets, entry)?;
                for key in keys.keys.values() {
                    if let Ok(cert) = x509::first_certificate(&key.public) {
                        x509::validate_certificate(&cert, false, self.now).map_err(msg)?;
                    }
                }
                return Ok(keys);
            }
            // An intermediate link whose keys do not resolve is dropped from Go's walk.
            delegation_keys(&file.targets, entry).map_err(|_| not_found())?;
        }
        Err(not_found())
    }

    /// Every loaded (root, targets roles) file's exact bytes, root first then targets roles by
    /// name: the files a snapshot must describe.
    pub fn loaded_files(&self) -> Vec<(String, &[u8])> {
        let mut out = Vec::new();
        if let Some(r) = &self.root {
            out.push(("root".to_string(), r.bytes.as_slice()));
        }
        for (name, t) in &self.targets {
            out.push((name.as_str().to_string(), t.bytes.as_slice()));
        }
        out
    }

    /// Go `loadSnapshot` (spec-server §3.9), including the cross-check of every loaded file's
    /// bytes against the snapshot's hashes. Returns the snapshot's version.
    pub fn load_snapshot(
        &self,
        bytes: &[u8],
        min_version: i64,
        check_expiry: bool,
    ) -> Result<Snapshot, LoadError> {
        let root = self.root()?;
        let keys = base_role(root, "snapshot")?;
        let env = parse_envelope(bytes, &RoleName::Snapshot)?;
        crypto::verify_signatures(&env, &keys).map_err(msg)?;
        let sn: Snapshot = env.decode_signed().map_err(msg)?;
        check_snapshot_structure(&sn)?;
        verify_version(sn.version, min_version)?;
        if check_expiry {
            verify_expiry(&sn.expires, "snapshot", self.now)?;
        }
        let empty = FileMeta::default();
        for (name, file_bytes) in self.loaded_files() {
            let meta = sn.meta.get(&name).unwrap_or(&empty);
            meta.verify_hashes(file_bytes, &name).map_err(msg)?;
        }
        Ok(sn)
    }
}

/// Go `CheckValidHashStructures` message for a hash map.
fn hash_structure_error(meta: &FileMeta) -> Option<String> {
    meta.check_hash_structure().err().map(|e| e.to_string())
}

/// Go `IsValidSnapshotStructure`: type `Snapshot`, version ≥ 1, and well-formed hashes,
/// including sha256, for `root` and `targets`.
pub(crate) fn check_snapshot_structure(sn: &Snapshot) -> Result<(), LoadError> {
    check_meta_structure(
        "snapshot",
        Snapshot::TYPE,
        &sn.type_,
        sn.version,
        &sn.meta,
        &["root", "targets"],
    )
}

/// Go `IsValidTimestampStructure`: type `Timestamp`, version ≥ 1, and well-formed hashes,
/// including sha256, for `snapshot`.
pub(crate) fn check_timestamp_structure(ts: &crate::data::Timestamp) -> Result<(), LoadError> {
    use crate::data::Timestamp;
    check_meta_structure(
        "timestamp",
        Timestamp::TYPE,
        &ts.type_,
        ts.version,
        &ts.meta,
        &["snapshot"],
    )
}

/// The structure checks shared by snapshot and timestamp objects (whose `meta` lists the files
/// they describe): `_type`, version, and for every `required` file a sha256 hash and hashes
/// of valid lengths (a missing entry has none).
fn check_meta_structure(
    role: &str,
    expected_type: &str,
    type_: &str,
    version: i64,
    meta: &BTreeMap<String, FileMeta>,
    required: &[&str],
) -> Result<(), LoadError> {
    if type_ != expected_type {
        return Err(invalid(
            role,
            format!("expected type {expected_type}, not {type_}"),
        ));
    }
    if version < 1 {
        return Err(invalid(role, "version cannot be less than one"));
    }
    let empty = FileMeta::default();
    for name in required {
        let file = meta.get(*name).unwrap_or(&empty);
        if !file.hashes.contains_key(SHA256) {
            return Err(invalid(
                role,
                format!("missing {name} sha256 checksum information"),
            ));
        }
        if let Some(e) = hash_structure_error(file) {
            return Err(invalid(
                role,
                format!("invalid {name} checksum information, {e}"),
            ));
        }
    }
    Ok(())
}

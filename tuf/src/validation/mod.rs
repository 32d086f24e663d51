//! The validation pipeline of Notary's atomic update (spec-server §3.5–3.11) and the pure parts
//! of the read-path regeneration of snapshot/timestamp (§4.3).
//!
//! Everything here is pure: the caller reads the GUN's current metadata from storage
//! ([`StoredRepo`]), passes the uploaded files and `now`, and gets back an [`UpdatePlan`]. Signing
//! is the caller's job (it is asynchronous, through the signer): a [`ToSign`] carries the
//! canonical bytes, the version, and the role's keys and threshold; the caller signs with every
//! key its signer holds (looked up by [`crate::data::PublicKey::canonical_key_id`]) and calls
//! [`ToSign::finish`] to check the threshold and assemble the file bytes.
//!
//! Write order of an update: [`UpdatePlan::files`] (root, then targets roles in load order),
//! then the snapshot (uploaded or generated), then the generated timestamp — see
//! [`UpdatePlan::writes`].

mod builder;
mod error;
mod generate;
#[cfg(feature = "testutil")]
pub mod testutil;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

pub use error::{
    DetailError, ValidationDetail, ValidationError, MSG_NO_ROOT, MSG_NO_SNAPSHOT_KEY,
    MSG_NO_TIMESTAMP_KEY,
};
pub use generate::{Lifetimes, Moment, SNAPSHOT_EXPIRY_DAYS, TIMESTAMP_EXPIRY_DAYS};

use builder::Builder;

use crate::crypto::{self, RoleKeys};
use crate::data::{RoleName, Root, Signature, SignedFile, SignedMeta, Snapshot, Timestamp};
use crate::error::TufError;
use crate::sign::assemble_signed;

/// The GUN's current metadata as stored (exact bytes). On SQL, "current" is resolved through
/// the current timestamp → snapshot chain (spec-server §4.2). Missing entries mean "not found";
/// a storage error must be reported by the caller before validating (`INVALID_UPDATE` without
/// detail).
///
/// `targets` needs only the roles named by [`stored_targets_needed`] (ancestors of the
/// uploaded targets roles); extra entries are ignored. `snapshot` is only used when no snapshot
/// is uploaded (Go reads it only then), `timestamp` only to number the next timestamp.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredRepo {
    /// The current root.
    pub root: Option<Vec<u8>>,
    /// Current targets roles (`targets` and delegations) by name.
    pub targets: BTreeMap<RoleName, Vec<u8>>,
    /// The current snapshot.
    pub snapshot: Option<Vec<u8>>,
    /// The current timestamp.
    pub timestamp: Option<Vec<u8>>,
}

/// One uploaded metadata file. When the same role is uploaded twice the last one wins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// The role the part was named for.
    pub role: RoleName,
    /// The part's exact bytes.
    pub bytes: Vec<u8>,
}

/// A file to write: role, version (from its `signed.version`) and exact bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaFile {
    /// The role.
    pub role: RoleName,
    /// Its `signed.version`.
    pub version: i64,
    /// The exact bytes to store.
    pub bytes: Vec<u8>,
}

/// Metadata the server must sign: `canonical` is both the message to sign and the `signed`
/// member of the resulting file (spec-server §10.2, §10.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToSign {
    /// `snapshot` or `timestamp`.
    pub role: RoleName,
    /// The version of the file to produce.
    pub version: i64,
    /// Canonical JSON of the role object.
    pub canonical: Vec<u8>,
    /// The role's keys from the current root (TUF key ID → key) and its threshold. Sign with
    /// every one of them the signer holds; fewer than `threshold` available →
    /// [`ToSign::missing_key_error`].
    pub keys: RoleKeys,
}

/// A snapshot the server must sign (spec-server §3.10).
pub type SnapshotToSign = ToSign;
/// A timestamp the server must sign (spec-server §3.11).
pub type TimestampToSign = ToSign;

impl ToSign {
    /// The error when the signer holds fewer than `threshold` of the role's keys:
    /// `ErrBadHierarchy` for the snapshot, `ErrBadRoot` for the timestamp.
    pub fn missing_key_error(&self) -> ValidationError {
        match self.role {
            RoleName::Timestamp => ValidationError::no_timestamp_key(),
            _ => ValidationError::no_snapshot_key(),
        }
    }

    /// Check that `sigs` contains valid signatures over `canonical` from at least `threshold`
    /// distinct keys of the role, then assemble the file bytes (spec-server §10.2). Signatures
    /// that do not verify or are from keys outside the role are dropped.
    pub fn finish(&self, sigs: &[Signature]) -> Result<MetaFile, ValidationError> {
        let mut seen = BTreeSet::new();
        let mut valid = Vec::new();
        for sig in sigs {
            let Some(key) = self.keys.keys.get(&sig.keyid) else {
                continue;
            };
            if seen.contains(&sig.keyid)
                || crypto::verify_signature(key, &sig.method, &self.canonical, &sig.sig).is_err()
            {
                continue;
            }
            seen.insert(sig.keyid.clone());
            valid.push(sig.clone());
        }
        if (seen.len() as i64) < self.keys.threshold.max(1) {
            return Err(self.missing_key_error());
        }
        Ok(MetaFile {
            role: self.role.clone(),
            version: self.version,
            bytes: assemble_signed(&self.canonical, &valid),
        })
    }
}

/// What the server generates in place of an absent snapshot upload, or the uploaded one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotPlan {
    /// The client uploaded a valid snapshot: write it as is.
    Uploaded(MetaFile),
    /// The server must sign this generated snapshot.
    Generate(SnapshotToSign),
}

/// The result of a successful validation.
#[derive(Debug, Clone)]
pub struct UpdatePlan {
    /// Verified uploaded files in write order: root (if uploaded), then targets roles in load
    /// order (spec-server §3.4.2).
    pub files: Vec<MetaFile>,
    /// The snapshot to write.
    pub snapshot: SnapshotPlan,
    root: Root,
    prev_timestamp: Option<Vec<u8>>,
    lifetimes: Lifetimes,
}

impl UpdatePlan {
    /// True when the server must generate (sign) the snapshot.
    pub fn snapshot_generated(&self) -> bool {
        matches!(self.snapshot, SnapshotPlan::Generate(_))
    }

    /// The root in force after this update (uploaded or stored).
    pub fn root(&self) -> &Root {
        &self.root
    }

    /// The timestamp to sign once the final snapshot bytes are known (uploaded bytes, or the
    /// bytes returned by [`ToSign::finish`] for the generated snapshot).
    /// The timestamp expires after the lifetime the update was validated with.
    pub fn timestamp_to_sign(
        &self,
        snapshot_bytes: &[u8],
        now: DateTime<Utc>,
    ) -> Result<TimestampToSign, ValidationError> {
        timestamp_to_sign(
            self.prev_timestamp.as_deref(),
            snapshot_bytes,
            &self.root,
            Moment {
                now,
                lifetimes: self.lifetimes,
            },
        )
    }

    /// Everything to write, in order: `files`, then `snapshot`, then `timestamp`.
    pub fn writes(&self, snapshot: MetaFile, timestamp: MetaFile) -> Vec<MetaFile> {
        let mut out = self.files.clone();
        out.push(snapshot);
        out.push(timestamp);
        out
    }
}

/// The stored targets roles the validation of `uploads` may need: every ancestor (from
/// `targets` down) of every uploaded delegation. Reading only these keeps storage errors for
/// unrelated roles out of the update, as in Go.
pub fn stored_targets_needed(uploads: &[Upload]) -> BTreeSet<RoleName> {
    uploads
        .iter()
        .filter(|u| u.role.is_delegation())
        .flat_map(|u| u.role.ancestors())
        .collect()
}

/// Validate an atomic update (spec-server §3.5–3.10). On success, the plan tells what to write
/// and what to sign; the timestamp is built afterwards with [`UpdatePlan::timestamp_to_sign`].
/// `at` is the time of the update and the lifetimes of what the server generates (a bare
/// `DateTime<Utc>` means the spec's default lifetimes).
pub fn validate_update(
    gun: &str,
    stored: &StoredRepo,
    uploads: Vec<Upload>,
    at: impl Into<Moment>,
) -> Result<UpdatePlan, ValidationError> {
    let Moment { now, lifetimes } = at.into();
    // 1. Index the upload (last one wins).
    let mut roles: BTreeMap<RoleName, Vec<u8>> = BTreeMap::new();
    for u in uploads {
        roles.insert(u.role, u.bytes);
    }
    let mut files = Vec::new();

    // 2. The stored root: loaded with expiry of the metadata not enforced (certificates are).
    let mut b = Builder::new(now);
    if let Some(bytes) = &stored.root {
        let root = builder::load_root(gun, bytes, None, 1, false, now)
            .map_err(ValidationError::no_detail)?;
        b.root = Some(root);
    }

    // 3. An uploaded root: version current or current + 1, rotation checked against the
    //    stored root, expiry enforced.
    if let Some(bytes) = roles.get(&RoleName::Root) {
        let current = b.root.as_ref().map_or(1, |r| r.root.version);
        let version = upload_version(bytes).map_err(ValidationError::bad_root)?;
        if version != current && version != current + 1 {
            return Err(ValidationError::bad_root(format!(
                "Root modifications must increment the version. Current {current}, new {version}"
            )));
        }
        let prev = b.root.take().map(|r| r.root);
        let root = builder::load_root(gun, bytes, prev.as_ref(), current, true, now)
            .map_err(ValidationError::bad_root)?;
        b.root = Some(root);
        files.push(MetaFile {
            role: RoleName::Root,
            version,
            bytes: bytes.clone(),
        });
    } else if b.root.is_none() {
        return Err(ValidationError::validation(MSG_NO_ROOT));
    }

    // 4. Targets and delegations, shallowest first; missing ancestors from storage.
    let mut targets_roles: Vec<RoleName> = roles
        .keys()
        .filter(|r| r.is_targets_like())
        .cloned()
        .collect();
    crate::data::sort_targets_roles(&mut targets_roles);
    for role in &targets_roles {
        for ancestor in role.ancestors() {
            if b.is_loaded(&ancestor) {
                continue;
            }
            // Not stored: keep going, loading the role itself will fail.
            if let Some(bytes) = stored.targets.get(&ancestor) {
                b.load_targets(&ancestor, bytes, 1, false)
                    .map_err(ValidationError::no_detail)?;
            }
        }
        let bytes = &roles[role];
        b.load_targets(role, bytes, 1, true)
            .map_err(ValidationError::bad_targets)?;
        files.push(MetaFile {
            role: role.clone(),
            version: b.targets[role].targets.version,
            bytes: bytes.clone(),
        });
    }

    // 5. The snapshot: uploaded and checked, or generated by the server.
    let snapshot = match roles.get(&RoleName::Snapshot) {
        Some(bytes) => {
            let sn = b
                .load_snapshot(bytes, 1, true)
                .map_err(ValidationError::bad_snapshot)?;
            SnapshotPlan::Uploaded(MetaFile {
                role: RoleName::Snapshot,
                version: sn.version,
                bytes: bytes.clone(),
            })
        }
        None => SnapshotPlan::Generate(generate::snapshot_to_sign(
            &b,
            stored.snapshot.as_deref(),
            lifetimes.snapshot,
        )?),
    };

    // 6. The timestamp is always generated (an uploaded one is ignored): see
    //    `UpdatePlan::timestamp_to_sign`.
    let root = b
        .root
        .take()
        .map(|r| r.root)
        .ok_or_else(|| ValidationError::validation("root must be loaded first"))?;
    Ok(UpdatePlan {
        files,
        snapshot,
        root,
        prev_timestamp: stored.timestamp.clone(),
        lifetimes,
    })
}

/// The `signed.version` of an uploaded file as the handler decodes it (spec-server §3.3).
fn upload_version(bytes: &[u8]) -> Result<i64, TufError> {
    SignedMeta::parse(bytes).map(|m| m.signed.version)
}

/// Build the next timestamp (spec-server §3.11): version = previous + 1 (1 without a previous
/// one), expires = now + the timestamp lifetime (14 days by default), `meta.snapshot` = length, sha256 and sha512 of
/// `snapshot_bytes`. A previous timestamp that is not JSON → [`ValidationError::NoDetail`]; one
/// with an invalid structure → `ErrValidation`.
pub fn timestamp_to_sign(
    prev_timestamp: Option<&[u8]>,
    snapshot_bytes: &[u8],
    root: &Root,
    at: impl Into<Moment>,
) -> Result<TimestampToSign, ValidationError> {
    generate::timestamp_to_sign(prev_timestamp, snapshot_bytes, root, at.into())
}

/// Read path (spec-server §4.3 steps 1–2): the hex sha256 of the snapshot the timestamp points
/// to, for `GetChecksum(gun, "snapshot", …)`.
pub fn timestamp_snapshot_sha256(timestamp_bytes: &[u8]) -> Result<String, ValidationError> {
    let ts = SignedFile::<Timestamp>::parse(timestamp_bytes)?;
    ts.signed
        .meta
        .get("snapshot")
        .and_then(|m| m.sha256())
        .map(hex::encode)
        .ok_or_else(|| ValidationError::no_detail("missing snapshot sha256 checksum information"))
}

/// Read path (spec-server §4.3 step 3): if the stored snapshot has expired, the snapshot to sign
/// in its place (from this one as previous; `meta.root` refreshed to `root_bytes`), after fully
/// validating the current root (expiry of the metadata and of its certificates enforced).
/// `None` when the snapshot has not expired. Errors are all 500 on this path.
pub fn snapshot_to_resign(
    gun: &str,
    root_bytes: &[u8],
    snapshot_bytes: &[u8],
    at: impl Into<Moment>,
) -> Result<Option<SnapshotToSign>, ValidationError> {
    let Moment { now, lifetimes } = at.into();
    let sn = SignedFile::<Snapshot>::parse(snapshot_bytes)?;
    if sn.signed.expires >= now {
        return Ok(None);
    }
    let mut b = Builder::new(now);
    b.root = Some(
        builder::load_root(gun, root_bytes, None, 1, true, now)
            .map_err(ValidationError::no_detail)?,
    );
    generate::snapshot_to_sign(&b, Some(snapshot_bytes), lifetimes.snapshot).map(Some)
}

/// Read path (spec-server §4.3 steps 4–5): `None` if the stored timestamp has not expired and
/// `snapshot_bytes` (the current snapshot, possibly just regenerated) still match its hashes;
/// otherwise the next timestamp to sign, after fully validating the root and the snapshot
/// (signed by the root's snapshot role, not expired, `meta.root` matching `root_bytes`).
pub fn timestamp_to_resign(
    gun: &str,
    root_bytes: &[u8],
    snapshot_bytes: &[u8],
    timestamp_bytes: &[u8],
    at: impl Into<Moment>,
) -> Result<Option<TimestampToSign>, ValidationError> {
    let at = at.into();
    let now = at.now;
    let ts = SignedFile::<Timestamp>::parse(timestamp_bytes)?;
    let snapshot_matches = ts
        .signed
        .meta
        .get("snapshot")
        .is_some_and(|m| m.verify_hashes(snapshot_bytes, "snapshot").is_ok());
    if ts.signed.expires >= now && snapshot_matches {
        return Ok(None);
    }
    let mut b = Builder::new(now);
    let root = builder::load_root(gun, root_bytes, None, 1, true, now)
        .map_err(ValidationError::no_detail)?;
    b.root = Some(root);
    b.load_snapshot(snapshot_bytes, 1, true)
        .map_err(ValidationError::no_detail)?;
    let root = &b
        .root
        .as_ref()
        .map(|r| &r.root)
        .ok_or_else(|| ValidationError::no_detail("root must be loaded first"))?;
    timestamp_to_sign(Some(timestamp_bytes), snapshot_bytes, root, at).map(Some)
}

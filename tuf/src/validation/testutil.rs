//! Building valid (and deliberately broken) notary repositories in tests, for this crate and
//! for the server's tests. Enabled by the `testutil` cargo feature; never used in production.
//!
//! Keys are ECDSA P-256 (ring); root keys are `ecdsa-x509` self-signed certificates (rcgen)
//! whose PEM is written exactly as Go writes it (64-column base64, LF).

// Test support only (behind the `testutil` feature): a fixture that cannot be built is a broken
// test, so panicking with a message is the right outcome here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde::Serialize;

use super::{MetaFile, StoredRepo, ToSign, Upload};
use crate::cjson;
use crate::crypto::{self, x509};
use crate::data::{
    DelegationRole, Delegations, FileMeta, KeyType, PublicKey, RoleName, Root, RootRole, Signature,
    Snapshot, Targets, Timestamp,
};
use crate::sign::assemble_signed;

/// A private key (PKCS#8, P-256) and the public key that appears in metadata.
#[derive(Debug, Clone)]
pub struct TestKey {
    /// The private key, PKCS#8 DER.
    pub pkcs8: Vec<u8>,
    /// The public key as listed in root or delegation `keys`.
    pub public: PublicKey,
}

impl TestKey {
    /// A fresh `ecdsa` key.
    pub fn ecdsa() -> TestKey {
        let doc =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .expect("generate P-256 key");
        let pkcs8 = doc.as_ref().to_vec();
        let public = crypto::ecdsa_p256_public_key(&pkcs8).expect("public key");
        TestKey { pkcs8, public }
    }

    /// A fresh `ecdsa-x509` root key: self-signed leaf certificate with CN = `cn`, valid from
    /// yesterday for ten years.
    pub fn root_cert(cn: &str) -> TestKey {
        let now = Utc::now();
        Self::root_cert_with_validity(cn, now - Duration::days(1), now + Duration::days(3650))
    }

    /// As [`TestKey::root_cert`] with an explicit validity window (whole seconds).
    pub fn root_cert_with_validity(
        cn: &str,
        not_before: DateTime<Utc>,
        not_after: DateTime<Utc>,
    ) -> TestKey {
        let kp = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, cn);
        // rcgen takes `time` values; build them from the calendar date plus seconds.
        let (y, m, d, secs) = calendar(not_before);
        params.not_before = rcgen::date_time_ymd(y, m, d) + std::time::Duration::from_secs(secs);
        let (y, m, d, secs) = calendar(not_after);
        params.not_after = rcgen::date_time_ymd(y, m, d) + std::time::Duration::from_secs(secs);
        let cert = params.self_signed(&kp).expect("self-signed certificate");
        let parsed = x509::Certificate::from_der(cert.der()).expect("parse own certificate");
        let public = PublicKey::new(KeyType::EcdsaX509, x509::certs_to_pem([&parsed]));
        TestKey {
            pkcs8: kp.serialize_der(),
            public,
        }
    }

    /// The TUF key ID of [`TestKey::public`].
    pub fn id(&self) -> String {
        self.public.key_id().into_string()
    }

    /// An `ecdsa` signature over `msg`, with `keyid` = [`TestKey::id`].
    pub fn sign(&self, msg: &[u8]) -> Signature {
        let mut sig = crypto::sign_ecdsa_p256(&self.pkcs8, msg).expect("sign");
        sig.keyid = self.id();
        sig
    }
}

fn calendar(t: DateTime<Utc>) -> (i32, u8, u8, u64) {
    use chrono::{Datelike, Timelike};
    (
        t.year(),
        t.month() as u8,
        t.day() as u8,
        u64::from(t.num_seconds_from_midnight()),
    )
}

/// Canonical JSON of a role object, signed by `keys`, assembled into file bytes.
pub fn sign_role<T: Serialize>(signed: &T, keys: &[&TestKey]) -> Vec<u8> {
    let canonical = cjson::to_canonical(signed).expect("canonical JSON");
    let sigs: Vec<Signature> = keys.iter().map(|k| k.sign(&canonical)).collect();
    assemble_signed(&canonical, &sigs)
}

/// Sign what the server would sign with `keys` (standing in for the signer) and finish it.
pub fn sign_to_sign(ts: &ToSign, keys: &[&TestKey]) -> Result<MetaFile, super::ValidationError> {
    let sigs: Vec<Signature> = keys.iter().map(|k| k.sign(&ts.canonical)).collect();
    ts.finish(&sigs)
}

/// A root object: `roles` maps each role name to its keys and threshold.
pub fn make_root(roles: &[(&str, &[&TestKey], i64)], version: i64, expires: DateTime<Utc>) -> Root {
    let mut keys = BTreeMap::new();
    let mut role_map = BTreeMap::new();
    for (name, role_keys, threshold) in roles {
        let mut keyids = Vec::new();
        for k in *role_keys {
            keys.insert(k.id(), k.public.clone());
            keyids.push(k.id());
        }
        role_map.insert(
            name.to_string(),
            RootRole {
                keyids,
                threshold: *threshold,
                ..Default::default()
            },
        );
    }
    Root {
        type_: Root::TYPE.to_string(),
        consistent_snapshot: false,
        expires,
        keys,
        roles: role_map,
        version,
        extra: BTreeMap::new(),
    }
}

/// An empty targets object (also for delegations).
pub fn make_targets(version: i64, expires: DateTime<Utc>) -> Targets {
    Targets {
        type_: Targets::TYPE.to_string(),
        delegations: Delegations::default(),
        expires,
        targets: BTreeMap::new(),
        version,
        extra: BTreeMap::new(),
    }
}

/// Add a delegation entry `name` (paths `[""]`) with `keys` and `threshold` to `parent`.
pub fn add_delegation(parent: &mut Targets, name: &str, keys: &[&TestKey], threshold: i64) {
    let mut keyids = Vec::new();
    for k in keys {
        parent.delegations.keys.insert(k.id(), k.public.clone());
        keyids.push(k.id());
    }
    parent.delegations.roles.push(DelegationRole {
        keyids,
        name: name.to_string(),
        paths: vec![String::new()],
        threshold,
        ..Default::default()
    });
}

/// A snapshot object describing `files` (role name, exact bytes).
pub fn make_snapshot(version: i64, expires: DateTime<Utc>, files: &[(&str, &[u8])]) -> Snapshot {
    let meta = files
        .iter()
        .map(|(name, bytes)| (name.to_string(), FileMeta::from_bytes(bytes)))
        .collect();
    Snapshot::new(expires, version, meta)
}

/// A timestamp object describing `snapshot_bytes`.
pub fn make_timestamp(version: i64, expires: DateTime<Utc>, snapshot_bytes: &[u8]) -> Timestamp {
    Timestamp::new(expires, version, snapshot_bytes)
}

/// The four base-role keys of a repository.
#[derive(Debug, Clone)]
pub struct RepoKeys {
    /// `ecdsa-x509`, CN = GUN.
    pub root: TestKey,
    /// `ecdsa`.
    pub targets: TestKey,
    /// `ecdsa`.
    pub snapshot: TestKey,
    /// `ecdsa`.
    pub timestamp: TestKey,
}

impl RepoKeys {
    /// Fresh keys; the root certificate's CN is `gun`.
    pub fn generate(gun: &str) -> RepoKeys {
        RepoKeys {
            root: TestKey::root_cert(gun),
            targets: TestKey::ecdsa(),
            snapshot: TestKey::ecdsa(),
            timestamp: TestKey::ecdsa(),
        }
    }

    /// A root object with one key and threshold 1 per role.
    pub fn root(&self, version: i64, expires: DateTime<Utc>) -> Root {
        make_root(
            &[
                ("root", &[&self.root], 1),
                ("targets", &[&self.targets], 1),
                ("snapshot", &[&self.snapshot], 1),
                ("timestamp", &[&self.timestamp], 1),
            ],
            version,
            expires,
        )
    }
}

/// A complete, valid, version-1 repository: signed root, targets, snapshot and timestamp.
#[derive(Debug, Clone)]
pub struct TestRepo {
    /// The repository's name.
    pub gun: String,
    /// The keys that signed it.
    pub keys: RepoKeys,
    /// Signed `root.json`.
    pub root: Vec<u8>,
    /// Signed `targets.json`.
    pub targets: Vec<u8>,
    /// Signed `snapshot.json`.
    pub snapshot: Vec<u8>,
    /// Signed `timestamp.json`.
    pub timestamp: Vec<u8>,
}

impl TestRepo {
    /// Root expires in 10 years, targets and snapshot in 3, timestamp in 14 days.
    pub fn new(gun: &str, now: DateTime<Utc>) -> TestRepo {
        let keys = RepoKeys::generate(gun);
        let root = sign_role(&keys.root(1, now + Duration::days(3650)), &[&keys.root]);
        let targets = sign_role(
            &make_targets(1, now + Duration::days(1095)),
            &[&keys.targets],
        );
        let snapshot = sign_role(
            &make_snapshot(
                1,
                now + Duration::days(1095),
                &[("root", &root), ("targets", &targets)],
            ),
            &[&keys.snapshot],
        );
        let timestamp = sign_role(
            &make_timestamp(1, now + Duration::days(14), &snapshot),
            &[&keys.timestamp],
        );
        TestRepo {
            gun: gun.to_string(),
            keys,
            root,
            targets,
            snapshot,
            timestamp,
        }
    }

    /// Re-sign the snapshot (given version) over the current root and targets bytes plus
    /// `extra` files, store it in `self.snapshot` and return it.
    pub fn resign_snapshot(
        &mut self,
        version: i64,
        now: DateTime<Utc>,
        extra: &[(&str, &[u8])],
    ) -> Vec<u8> {
        let mut files: Vec<(&str, &[u8])> = vec![("root", &self.root), ("targets", &self.targets)];
        files.extend_from_slice(extra);
        self.snapshot = sign_role(
            &make_snapshot(version, now + Duration::days(1095), &files),
            &[&self.keys.snapshot],
        );
        self.snapshot.clone()
    }

    /// Uploads of root, targets and snapshot (what a client publishes first).
    pub fn uploads(&self) -> Vec<Upload> {
        vec![
            upload(RoleName::Root, &self.root),
            upload(RoleName::Targets, &self.targets),
            upload(RoleName::Snapshot, &self.snapshot),
        ]
    }

    /// Everything stored (root, targets, snapshot, timestamp).
    pub fn stored(&self) -> StoredRepo {
        StoredRepo {
            root: Some(self.root.clone()),
            targets: [(RoleName::Targets, self.targets.clone())]
                .into_iter()
                .collect(),
            snapshot: Some(self.snapshot.clone()),
            timestamp: Some(self.timestamp.clone()),
        }
    }
}

/// An [`Upload`] of `bytes` for `role`.
pub fn upload(role: RoleName, bytes: &[u8]) -> Upload {
    Upload {
        role,
        bytes: bytes.to_vec(),
    }
}

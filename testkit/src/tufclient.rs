//! A minimal TUF client for building repositories with controlled defects against a running
//! server: keys and signatures from notary-tuf's `testutil` (root key = x509 certificate for
//! the GUN, targets/snapshot keys = ECDSA P-256), the server's keys from `…/{role}.key`, and
//! roles as JSON values a test can change before signing.

use std::collections::BTreeMap;

use base64::Engine as _;
use notary_tuf::data::{FileMeta, PublicKey};
use serde_json::{json, Value};

pub use notary_tuf::validation::testutil::TestKey as Key;

pub fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// An RFC 3339 expiry `days` from now.
pub fn expires(days: i64) -> String {
    notary_tuf::cjson::format_time(&(chrono::Utc::now() + chrono::Duration::days(days)))
}

/// The metadata JSON of a public key: `{"keytype":…,"keyval":{"private":null,"public":…}}`.
pub fn key_json(key: &PublicKey) -> Value {
    serde_json::from_slice(&key.canonical_json()).expect("key JSON")
}

/// `{"signed":<canonical>,"signatures":[…]}` signed by `keys`.
pub fn sign(signed: &Value, keys: &[&Key]) -> Vec<u8> {
    notary_tuf::validation::testutil::sign_role(signed, keys)
}

/// The filemeta (length, sha256, sha512) of bytes.
pub fn file_meta(bytes: &[u8]) -> Value {
    serde_json::to_value(FileMeta::from_bytes(bytes)).expect("filemeta JSON")
}

/// A repository under test.
pub struct Repo {
    pub root: Key,
    pub targets: Key,
    /// Client-held snapshot key (None = server-managed snapshot).
    pub snapshot: Option<Key>,
    /// Role → (key ID, key JSON) of the keys the server holds.
    pub server_keys: BTreeMap<String, (String, Value)>,
}

impl Repo {
    /// Fetches the server's timestamp key (and snapshot key when `server_snapshot`).
    pub async fn new(c: &reqwest::Client, base: &str, gun: &str, server_snapshot: bool) -> Repo {
        let mut server_keys = BTreeMap::new();
        let mut roles = vec!["timestamp"];
        if server_snapshot {
            roles.push("snapshot");
        }
        for role in roles {
            let r = c
                .get(format!("{base}/v2/{gun}/_trust/tuf/{role}.key"))
                .send()
                .await
                .expect("key request");
            assert_eq!(r.status(), 200, "{role}.key");
            let key: PublicKey = serde_json::from_slice(&r.bytes().await.expect("key body"))
                .expect("server key JSON");
            server_keys.insert(
                role.to_string(),
                (key.key_id().into_string(), key_json(&key)),
            );
        }
        Repo {
            root: Key::root_cert(gun),
            targets: Key::ecdsa(),
            snapshot: (!server_snapshot).then(Key::ecdsa),
            server_keys,
        }
    }

    /// The root's `signed` object at `version`.
    pub fn root_signed(&self, version: i64) -> Value {
        let mut keys = serde_json::Map::new();
        for k in [&self.root, &self.targets] {
            keys.insert(k.id(), key_json(&k.public));
        }
        let (ts_id, ts_json) = &self.server_keys["timestamp"];
        keys.insert(ts_id.clone(), ts_json.clone());
        let (snap_id, snap_json) = match (&self.snapshot, self.server_keys.get("snapshot")) {
            (Some(k), _) => (k.id(), key_json(&k.public)),
            (None, Some((id, j))) => (id.clone(), j.clone()),
            (None, None) => unreachable!("snapshot key"),
        };
        keys.insert(snap_id.clone(), snap_json);
        json!({
            "_type": "Root", "consistent_snapshot": false, "expires": expires(3650),
            "keys": keys,
            "roles": {
                "root": {"keyids": [self.root.id()], "threshold": 1},
                "snapshot": {"keyids": [snap_id], "threshold": 1},
                "targets": {"keyids": [self.targets.id()], "threshold": 1},
                "timestamp": {"keyids": [ts_id], "threshold": 1},
            },
            "version": version,
        })
    }

    pub fn root_file(&self, version: i64) -> Vec<u8> {
        sign(&self.root_signed(version), &[&self.root])
    }

    /// A targets object with one target `file-<version>`.
    pub fn targets_signed(&self, version: i64, delegations: Value) -> Value {
        json!({
            "_type": "Targets", "delegations": delegations, "expires": expires(1095),
            "targets": {format!("file-{version}"): {"hashes": {"sha256": b64(&[7u8; 32])}, "length": 1}},
            "version": version,
        })
    }

    pub fn targets_file(&self, version: i64) -> Vec<u8> {
        sign(
            &self.targets_signed(version, json!({"keys": {}, "roles": []})),
            &[&self.targets],
        )
    }

    /// A client snapshot over the given files.
    pub fn snapshot_file(&self, version: i64, files: &[(&str, &[u8])]) -> Vec<u8> {
        let meta: serde_json::Map<String, Value> = files
            .iter()
            .map(|(role, bytes)| ((*role).to_string(), file_meta(bytes)))
            .collect();
        let signed = json!({"_type": "Snapshot", "expires": expires(1095), "meta": meta, "version": version});
        sign(
            &signed,
            &[self.snapshot.as_ref().expect("client snapshot key")],
        )
    }
}

//! A minimal TUF client for building repositories with controlled defects: root key = x509
//! certificate for the GUN (rcgen), targets/snapshot keys = ECDSA P-256 (ring), server keys from
//! `…/{role}.key`.

use std::collections::BTreeMap;

use base64::Engine as _;
use notary_tuf::data::{KeyType, PublicKey};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};

pub fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn expires(days: i64) -> String {
    notary_tuf::cjson::format_time(&(chrono::Utc::now() + chrono::Duration::days(days)))
}

/// A signing key held by the test.
pub struct Key {
    pub pair: EcdsaKeyPair,
    pub id: String,
    pub json: Value,
}

impl Key {
    pub fn ecdsa() -> Key {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        let public = notary_tuf::crypto::p256_spki_from_point(pair.public_key().as_ref());
        let id = PublicKey::new(KeyType::Ecdsa, public.clone())
            .key_id()
            .as_str()
            .to_string();
        Key {
            pair,
            id,
            json: json!({"keytype": "ecdsa", "keyval": {"private": null, "public": b64(&public)}}),
        }
    }

    /// An ecdsa-x509 root key whose certificate CN is `cn`.
    pub fn root(cn: &str) -> Key {
        let kp = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, cn);
        params.not_after = rcgen::date_time_ymd(2035, 1, 1);
        let cert = params.self_signed(&kp).unwrap();
        let pem = cert.pem().into_bytes();
        let id = PublicKey::new(KeyType::EcdsaX509, pem.clone())
            .key_id()
            .as_str()
            .to_string();
        let pair = EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            &kp.serialize_der(),
            &SystemRandom::new(),
        )
        .unwrap();
        Key {
            pair,
            id,
            json: json!({"keytype": "ecdsa-x509", "keyval": {"private": null, "public": b64(&pem)}}),
        }
    }
}

/// `{"signed":<canonical>,"signatures":[…]}` signed by `keys`.
pub fn sign(signed: &Value, keys: &[&Key]) -> Vec<u8> {
    let canonical = notary_tuf::cjson::to_canonical(signed).unwrap();
    let sigs: Vec<Value> = keys
        .iter()
        .map(|k| {
            let sig = k.pair.sign(&SystemRandom::new(), &canonical).unwrap();
            json!({"keyid": k.id, "method": "ecdsa", "sig": b64(sig.as_ref())})
        })
        .collect();
    let mut out = b"{\"signed\":".to_vec();
    out.extend_from_slice(&canonical);
    out.extend_from_slice(b",\"signatures\":");
    out.extend_from_slice(serde_json::to_string(&sigs).unwrap().as_bytes());
    out.push(b'}');
    out
}

/// The `Missing`-free filemeta of bytes.
pub fn file_meta(bytes: &[u8]) -> Value {
    use ring::digest;
    json!({"hashes": {
        "sha256": b64(digest::digest(&digest::SHA256, bytes).as_ref()),
        "sha512": b64(digest::digest(&digest::SHA512, bytes).as_ref())},
        "length": bytes.len()})
}

/// A repository under test.
pub struct Repo {
    pub root: Key,
    pub targets: Key,
    /// Client-held snapshot key (None = server-managed snapshot).
    pub snapshot: Option<Key>,
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
                .unwrap();
            assert_eq!(r.status(), 200);
            let v: Value = r.json().await.unwrap();
            let public = base64::engine::general_purpose::STANDARD
                .decode(v["keyval"]["public"].as_str().unwrap())
                .unwrap();
            let key = PublicKey::new(KeyType::parse(v["keytype"].as_str().unwrap()), public);
            server_keys.insert(
                role.to_string(),
                (
                    key.key_id().as_str().to_string(),
                    json!({"keytype": v["keytype"], "keyval": {"private": null, "public": v["keyval"]["public"]}}),
                ),
            );
        }
        Repo {
            root: Key::root(gun),
            targets: Key::ecdsa(),
            snapshot: (!server_snapshot).then(Key::ecdsa),
            server_keys,
        }
    }

    /// The root's `signed` object at `version`.
    pub fn root_signed(&self, version: i64) -> Value {
        let mut keys = serde_json::Map::new();
        keys.insert(self.root.id.clone(), self.root.json.clone());
        keys.insert(self.targets.id.clone(), self.targets.json.clone());
        let (ts_id, ts_json) = &self.server_keys["timestamp"];
        keys.insert(ts_id.clone(), ts_json.clone());
        let snap_id = match (&self.snapshot, self.server_keys.get("snapshot")) {
            (Some(k), _) => {
                keys.insert(k.id.clone(), k.json.clone());
                k.id.clone()
            }
            (None, Some((id, j))) => {
                keys.insert(id.clone(), j.clone());
                id.clone()
            }
            (None, None) => unreachable!("snapshot key"),
        };
        json!({
            "_type": "Root", "consistent_snapshot": false, "expires": expires(3650),
            "keys": keys,
            "roles": {
                "root": {"keyids": [self.root.id], "threshold": 1},
                "snapshot": {"keyids": [snap_id], "threshold": 1},
                "targets": {"keyids": [self.targets.id], "threshold": 1},
                "timestamp": {"keyids": [ts_id], "threshold": 1},
            },
            "version": version,
        })
    }

    pub fn root_file(&self, version: i64) -> Vec<u8> {
        sign(&self.root_signed(version), &[&self.root])
    }

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
        let mut meta = serde_json::Map::new();
        for (role, bytes) in files {
            meta.insert((*role).to_string(), file_meta(bytes));
        }
        let signed = json!({"_type": "Snapshot", "expires": expires(1095), "meta": meta, "version": version});
        sign(&signed, &[self.snapshot.as_ref().unwrap()])
    }
}

//! Parse + canonicalise + verify throughput of notary-tuf on two realistic files:
//! a targets file with 1,000 targets signed by one ecdsa key, and a root with 4 `ecdsa-x509`
//! root keys (threshold 4, so all four signatures are checked).
//!
//! Run: `cargo bench -p notary-tuf --bench metadata` (prints median and p90 per file).

// Test code: a failed setup step panics, by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use notary_tuf::cjson::canonicalize;
use notary_tuf::crypto::{ecdsa_p256_public_key, sign_ecdsa_p256, verify_signatures, RoleKeys};
use notary_tuf::data::{Envelope, KeyType, PublicKey, Root, Signature, Targets};
use notary_tuf::sign::assemble_signed;
use rcgen::{CertificateParams, DnType, KeyPair, PKCS_ECDSA_P256_SHA256};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};

const GUN: &str = "registry.example.com/library/bench";

fn ecdsa_pkcs8() -> Vec<u8> {
    EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
        .expect("generate key")
        .as_ref()
        .to_vec()
}

fn sign_file(signed: &Value, keys: &[(&[u8], String)]) -> Vec<u8> {
    let canonical = canonicalize(signed).expect("canonical");
    let sigs: Vec<Signature> = keys
        .iter()
        .map(|(pkcs8, keyid)| {
            let mut sig = sign_ecdsa_p256(pkcs8, &canonical).expect("sign");
            sig.keyid = keyid.clone();
            sig
        })
        .collect();
    assemble_signed(&canonical, &sigs)
}

fn targets_file() -> (Vec<u8>, RoleKeys) {
    let pkcs8 = ecdsa_pkcs8();
    let key = ecdsa_p256_public_key(&pkcs8).expect("public key");
    let id = key.key_id().into_string();
    let mut targets = serde_json::Map::new();
    for i in 0..1000 {
        let digest = ring::digest::digest(&ring::digest::SHA256, format!("target {i}").as_bytes());
        let digest512 =
            ring::digest::digest(&ring::digest::SHA512, format!("target {i}").as_bytes());
        targets.insert(
            format!("release/v1.{i}/image-{i}.tar.gz"),
            json!({
                "hashes": {
                    "sha256": base64_std(digest.as_ref()),
                    "sha512": base64_std(digest512.as_ref()),
                },
                "length": 1_000_000 + i,
            }),
        );
    }
    let signed = json!({
        "_type": "Targets",
        "delegations": {"keys": {}, "roles": []},
        "expires": "2030-01-01T00:00:00Z",
        "targets": targets,
        "version": 7,
    });
    let bytes = sign_file(&signed, &[(&pkcs8, id.clone())]);
    let role = RoleKeys::new("targets", BTreeMap::from([(id, key)]), 1);
    (bytes, role)
}

fn root_file() -> (Vec<u8>, RoleKeys) {
    let mut keys = BTreeMap::new();
    let mut signers = Vec::new();
    for _ in 0..4 {
        let kp = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.distinguished_name.push(DnType::CommonName, GUN);
        let cert = params.self_signed(&kp).expect("cert");
        let key = PublicKey::new(KeyType::EcdsaX509, cert.pem().into_bytes());
        let id = key.key_id().into_string();
        keys.insert(id.clone(), key);
        signers.push((kp.serialize_der(), id));
    }
    let ids: Vec<String> = keys.keys().cloned().collect();
    let role = json!({"keyids": ids, "threshold": 4});
    let keys_json: serde_json::Map<String, Value> = keys
        .iter()
        .map(|(id, k)| (id.clone(), serde_json::to_value(k).expect("key json")))
        .collect();
    let signed = json!({
        "_type": "Root",
        "consistent_snapshot": false,
        "expires": "2035-01-01T00:00:00Z",
        "keys": keys_json,
        "roles": {"root": role, "targets": role, "snapshot": role, "timestamp": role},
        "version": 1,
    });
    let signer_refs: Vec<(&[u8], String)> = signers
        .iter()
        .map(|(k, id)| (k.as_slice(), id.clone()))
        .collect();
    let bytes = sign_file(&signed, &signer_refs);
    (bytes, RoleKeys::new("root", keys, 4))
}

fn base64_std(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn measure<T>(name: &str, bytes: &[u8], iterations: usize, f: impl Fn(&[u8]) -> T) {
    for _ in 0..iterations / 10 + 1 {
        black_box(f(black_box(bytes)));
    }
    let mut times: Vec<Duration> = (0..iterations)
        .map(|_| {
            let start = Instant::now();
            black_box(f(black_box(bytes)));
            start.elapsed()
        })
        .collect();
    times.sort();
    let median = times[times.len() / 2];
    let p90 = times[times.len() * 9 / 10];
    println!(
        "{name:<44} {:>8} bytes  median {:>9.1} µs  p90 {:>9.1} µs  ({iterations} runs)",
        bytes.len(),
        median.as_secs_f64() * 1e6,
        p90.as_secs_f64() * 1e6
    );
}

fn main() {
    let (targets, targets_role) = targets_file();
    let (root, root_role) = root_file();
    // The closures do the full path a publish takes for each file: parse the envelope,
    // decode the typed role, canonicalise `signed`, verify the signatures against the role.
    let check_targets = |b: &[u8]| {
        let env = Envelope::parse(b).expect("parse");
        let t: Targets = env.decode_signed().expect("decode");
        let ok = verify_signatures(&env, &targets_role).expect("verify");
        (t.targets.len(), ok.len())
    };
    let check_root = |b: &[u8]| {
        let env = Envelope::parse(b).expect("parse");
        let r: Root = env.decode_signed().expect("decode");
        let ok = verify_signatures(&env, &root_role).expect("verify");
        (r.keys.len(), ok.len())
    };
    assert_eq!(check_targets(&targets), (1000, 1));
    assert_eq!(check_root(&root), (4, 4));
    let canon_only = |b: &[u8]| {
        Envelope::parse(b)
            .expect("parse")
            .canonical_signed()
            .expect("c")
    };
    measure(
        "targets, 1000 targets: parse+canonicalise",
        &targets,
        200,
        canon_only,
    );
    measure(
        "targets, 1000 targets: parse+canon+verify",
        &targets,
        200,
        check_targets,
    );
    measure(
        "root, 4 ecdsa-x509 keys: parse+canon+verify",
        &root,
        500,
        check_root,
    );
}

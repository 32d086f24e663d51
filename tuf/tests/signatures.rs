//! Signature verification (every method), threshold counting, signing round trips.

// Test code: a failed setup step panics, by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use notary_tuf::crypto::{
    self, ecdsa_p256_public_key, ed25519_public_key, method_for, sign_ecdsa_p256, sign_ed25519,
    verify_signature, verify_signatures, RoleKeys,
};
use notary_tuf::data::serde_util::b64_decode;
use notary_tuf::data::{Envelope, KeyType, PublicKey, Signature};
use notary_tuf::sign::assemble_signed;
use notary_tuf::{CryptoError, TufError};
use ring::rand::SystemRandom;
use ring::signature::{
    EcdsaKeyPair, Ed25519KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P256_SHA256_FIXED_SIGNING,
};

const GO_TIMESTAMP: &str = r#"{"signed":{"_type":"Timestamp","expires":"2116-07-03T23:08:08.447842546Z","meta":{"snapshot":{"hashes":{"sha256":"8tnrmLiB+sNtG1356+kGjie3nSTyfsPrlmDvbF/uXOo=","sha512":"1TrxLDAKNR8ifK271ZbK3pHFjqW9+IouIbcb9cAqApmnBLkmtSKQMEUPHKKvySFwd4keVOfinuPSJ8Lno358Yg=="},"length":890}},"version":4},"signatures":[{"keyid":"f694343ec1d508b2840d86aec5387d7b4d62a39647e33566b2b2abf96029750c","method":"ecdsa","sig":"4DDaOBIQmwft3PfzYaaeAORhgmXS/nths/hJX1QLSFQvQhZ6nSf/K4QmCzYJwQvgvcq+oUATMfk2OzGfpUWCSw=="}]}"#;
const GO_TIMESTAMP_KEY: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEZKFFI+3g0NH+9mitd5bRO3hkH3PG2cniXVrzqKKfRyc5QvmNc6W8wZ5IGlls6ZZX/GgKRzcpIttDidrOGiGlwQ==";

fn data(name: &str) -> String {
    let path = format!("{}/tests/data/openssl/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap()
}

fn b64(s: &str) -> Vec<u8> {
    b64_decode(s.trim()).unwrap()
}

fn ecdsa_pkcs8() -> Vec<u8> {
    EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
        .unwrap()
        .as_ref()
        .to_vec()
}

fn ed25519_pkcs8() -> Vec<u8> {
    Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
        .unwrap()
        .as_ref()
        .to_vec()
}

fn role(name: &str, keys: &[&PublicKey], threshold: i64) -> RoleKeys {
    let map: BTreeMap<String, PublicKey> = keys
        .iter()
        .map(|k| (k.key_id().into_string(), (*k).clone()))
        .collect();
    RoleKeys::new(name, map, threshold)
}

fn envelope(signed: &str, sigs: Vec<Signature>) -> Envelope {
    Envelope {
        signed: serde_json::from_str(signed).unwrap(),
        signatures: sigs,
    }
}

#[test]
fn go_produced_timestamp_verifies() {
    let key = PublicKey::new(KeyType::Ecdsa, b64(GO_TIMESTAMP_KEY));
    let env = Envelope::parse(GO_TIMESTAMP.as_bytes()).unwrap();
    let valid = verify_signatures(&env, &role("timestamp", &[&key], 1)).unwrap();
    assert_eq!(valid.len(), 1);
    // Change one byte of the signed content: no longer verifies.
    let tampered = GO_TIMESTAMP.replace("\"version\":4", "\"version\":5");
    let env = Envelope::parse(tampered.as_bytes()).unwrap();
    assert_eq!(
        verify_signatures(&env, &role("timestamp", &[&key], 1))
            .unwrap_err()
            .to_string(),
        "valid signatures did not meet threshold for timestamp"
    );
}

#[test]
fn ecdsa_sign_verify_round_trip() {
    let pkcs8 = ecdsa_pkcs8();
    let key = ecdsa_p256_public_key(&pkcs8).unwrap();
    assert_eq!(key.keytype, KeyType::Ecdsa);
    assert_eq!(key.public.len(), 91);
    let msg = br#"{"_type":"Snapshot","version":1}"#;
    let sig = sign_ecdsa_p256(&pkcs8, msg).unwrap();
    assert_eq!(sig.method, "ecdsa");
    assert_eq!(sig.keyid, key.key_id().as_str());
    assert_eq!(sig.sig.len(), 64);
    verify_signature(&key, "ecdsa", msg, &sig.sig).unwrap();
    assert_eq!(
        verify_signature(
            &key,
            "ecdsa",
            b"{\"_type\":\"Snapshot\",\"version\":2}",
            &sig.sig
        ),
        Err(CryptoError::Invalid)
    );
    let mut bad = sig.sig.clone();
    bad[10] ^= 1;
    assert!(verify_signature(&key, "ecdsa", msg, &bad).is_err());
    // Wrong method for the key type.
    assert_eq!(
        verify_signature(&key, "eddsa", msg, &sig.sig),
        Err(CryptoError::InvalidKeyType)
    );
    assert_eq!(
        verify_signature(&key, "rsapss", msg, &sig.sig),
        Err(CryptoError::InvalidKeyType)
    );
    assert_eq!(
        verify_signature(&key, "nope", msg, &sig.sig),
        Err(CryptoError::WrongMethod)
    );
}

#[test]
fn ecdsa_der_signatures_are_refused() {
    let pkcs8 = ecdsa_pkcs8();
    let key = ecdsa_p256_public_key(&pkcs8).unwrap();
    let pair = EcdsaKeyPair::from_pkcs8(
        &ECDSA_P256_SHA256_ASN1_SIGNING,
        &pkcs8,
        &SystemRandom::new(),
    )
    .unwrap();
    let der = pair.sign(&SystemRandom::new(), b"msg").unwrap();
    assert_eq!(
        verify_signature(&key, "ecdsa", b"msg", der.as_ref()),
        Err(CryptoError::Invalid)
    );
}

#[test]
fn ed25519_sign_verify_round_trip() {
    let pkcs8 = ed25519_pkcs8();
    let key = ed25519_public_key(&pkcs8).unwrap();
    assert_eq!(key.public.len(), 32);
    let sig = sign_ed25519(&pkcs8, b"hello").unwrap();
    assert_eq!(sig.method, "eddsa");
    assert_eq!(sig.keyid, key.key_id().as_str());
    verify_signature(&key, "eddsa", b"hello", &sig.sig).unwrap();
    assert!(verify_signature(&key, "eddsa", b"hellO", &sig.sig).is_err());
    assert!(verify_signature(&key, "eddsa", b"hello", &sig.sig[..63]).is_err());
    assert_eq!(
        verify_signature(&key, "ecdsa", b"hello", &sig.sig),
        Err(CryptoError::InvalidKeyType)
    );
    let short = PublicKey::new(KeyType::Ed25519, key.public[..31].to_vec());
    assert!(matches!(
        verify_signature(&short, "eddsa", b"hello", &sig.sig),
        Err(CryptoError::InvalidKeyLength(_))
    ));
}

#[test]
fn method_for_key_types() {
    assert_eq!(method_for(&KeyType::Ecdsa), Some("ecdsa"));
    assert_eq!(method_for(&KeyType::EcdsaX509), Some("ecdsa"));
    assert_eq!(method_for(&KeyType::Ed25519), Some("eddsa"));
    assert_eq!(method_for(&KeyType::Rsa), Some("rsapss"));
    assert_eq!(method_for(&KeyType::RsaX509), Some("rsapss"));
    assert_eq!(method_for(&KeyType::Other("x".into())), None);
}

#[test]
fn rsa_vectors_verify() {
    let msg = data("message.json");
    let rsa = PublicKey::new(KeyType::Rsa, b64(&data("rsa2048.spki.b64")));
    let pss = b64(&data("rsa2048.pss.sig.b64"));
    let pkcs1 = b64(&data("rsa2048.pkcs1v15.sig.b64"));
    verify_signature(&rsa, "rsapss", msg.as_bytes(), &pss).unwrap();
    verify_signature(&rsa, "rsapkcs1v15", msg.as_bytes(), &pkcs1).unwrap();
    // Padding schemes do not mix.
    assert!(verify_signature(&rsa, "rsapss", msg.as_bytes(), &pkcs1).is_err());
    assert!(verify_signature(&rsa, "rsapkcs1v15", msg.as_bytes(), &pss).is_err());
    // Tampered message.
    let tampered = msg.replace("Targets", "Targetz");
    assert!(verify_signature(&rsa, "rsapss", tampered.as_bytes(), &pss).is_err());
    // RSA key with an ecdsa method.
    assert_eq!(
        verify_signature(&rsa, "ecdsa", msg.as_bytes(), &pss),
        Err(CryptoError::InvalidKeyType)
    );

    // The same key as an rsa-x509 certificate.
    let cert = PublicKey::new(KeyType::RsaX509, data("rsa2048.cert.pem").into_bytes());
    verify_signature(&cert, "rsapss", msg.as_bytes(), &pss).unwrap();
    verify_signature(&cert, "rsapkcs1v15", msg.as_bytes(), &pkcs1).unwrap();
    // Canonical ID of the certificate key = ID of the plain rsa key.
    assert_eq!(cert.canonical_key_id().unwrap(), rsa.key_id());
    assert_ne!(cert.key_id(), rsa.key_id());

    // Legacy pycrypto method: `rsa` key whose public bytes are PEM.
    let pem_key = PublicKey::new(KeyType::Rsa, data("rsa2048.pub.pem").into_bytes());
    verify_signature(&pem_key, "pycrypto-pkcs#1 pss", msg.as_bytes(), &pss).unwrap();
    assert_eq!(
        verify_signature(&cert, "pycrypto-pkcs#1 pss", msg.as_bytes(), &pss),
        Err(CryptoError::InvalidKeyType)
    );
    assert!(verify_signature(&rsa, "pycrypto-pkcs#1 pss", msg.as_bytes(), &pss).is_err());
}

#[test]
fn rsa_keys_below_2048_bits_are_refused() {
    let msg = data("message.json");
    let rsa = PublicKey::new(KeyType::Rsa, b64(&data("rsa1024.spki.b64")));
    let sig = b64(&data("rsa1024.pss.sig.b64"));
    assert!(matches!(
        verify_signature(&rsa, "rsapss", msg.as_bytes(), &sig),
        Err(CryptoError::InvalidKeyLength(_))
    ));
}

#[test]
fn rsa_signature_through_envelope() {
    let msg = data("message.json");
    let rsa = PublicKey::new(KeyType::Rsa, b64(&data("rsa2048.spki.b64")));
    let sig = Signature {
        keyid: rsa.key_id().into_string(),
        method: "rsapss".into(),
        sig: b64(&data("rsa2048.pss.sig.b64")),
    };
    // Whitespace and HTML escapes in the file do not matter: verification re-canonicalises.
    let file = format!(
        "{{ \"signed\" : {} , \"signatures\" : [{}] }}",
        msg.replace("Targets", "\\u0054argets"),
        serde_json::to_string(&sig).unwrap()
    );
    let env = Envelope::parse(file.as_bytes()).unwrap();
    verify_signatures(&env, &role("targets/releases", &[&rsa], 1)).unwrap();
}

#[test]
fn threshold_counts_each_key_once() {
    let (p1, p2) = (ecdsa_pkcs8(), ed25519_pkcs8());
    let (k1, k2) = (
        ecdsa_p256_public_key(&p1).unwrap(),
        ed25519_public_key(&p2).unwrap(),
    );
    let signed = r#"{"_type":"Targets","version":3,"x":"<&>"}"#;
    let canonical =
        notary_tuf::cjson::canonicalize(&serde_json::from_str(signed).unwrap()).unwrap();
    let s1 = sign_ecdsa_p256(&p1, &canonical).unwrap();
    let s1b = sign_ecdsa_p256(&p1, &canonical).unwrap();
    let s2 = sign_ed25519(&p2, &canonical).unwrap();

    // The same key twice does not meet a threshold of 2.
    let env = envelope(signed, vec![s1.clone(), s1b.clone()]);
    assert_eq!(
        verify_signatures(&env, &role("targets", &[&k1, &k2], 2)).unwrap_err(),
        TufError::RoleThreshold {
            role: Some("targets".into())
        }
    );
    // Only the first signature of a key ID is tried: many bogus ones in front of a valid one
    // cost one verification and do not count.
    let mut bogus = s1.clone();
    bogus.sig[0] ^= 0xff;
    let mut flood = vec![bogus; 10_000];
    flood.push(s1.clone());
    assert_eq!(
        verify_signatures(&envelope(signed, flood), &role("targets", &[&k1], 1)).unwrap_err(),
        TufError::RoleThreshold {
            role: Some("targets".into())
        }
    );
    // Two distinct keys do.
    let env = envelope(signed, vec![s1.clone(), s1b, s2.clone()]);
    let valid = verify_signatures(&env, &role("targets", &[&k1, &k2], 2)).unwrap();
    assert_eq!(valid.len(), 2);
    // A signature from a key outside the role is skipped.
    let env = envelope(signed, vec![s2.clone()]);
    assert!(verify_signatures(&env, &role("targets", &[&k1], 1)).is_err());
    // A bad signature is skipped, a good one still counts.
    let mut broken = s2.clone();
    broken.sig[0] ^= 0xff;
    let env = envelope(signed, vec![broken, s1.clone()]);
    verify_signatures(&env, &role("targets", &[&k1, &k2], 1)).unwrap();
}

#[test]
fn threshold_error_messages() {
    let p1 = ecdsa_pkcs8();
    let k1 = ecdsa_p256_public_key(&p1).unwrap();
    let s1 = sign_ecdsa_p256(&p1, br#"{"a":1}"#).unwrap();
    let env = envelope(r#"{"a":1}"#, vec![]);
    assert_eq!(
        verify_signatures(&env, &role("root", &[&k1], 1))
            .unwrap_err()
            .to_string(),
        "tuf: data has no signatures"
    );
    let env = envelope(r#"{"a":1}"#, vec![s1.clone()]);
    assert_eq!(
        verify_signatures(&env, &role("root", &[&k1], 0))
            .unwrap_err()
            .to_string(),
        "valid signatures did not meet threshold"
    );
    verify_signatures(&env, &role("root", &[&k1], 1)).unwrap();
    assert_eq!(
        verify_signatures(&env, &role("root", &[&k1], 2))
            .unwrap_err()
            .to_string(),
        "valid signatures did not meet threshold for root"
    );
    // A role key listed under an ID that is not its own.
    let other = ecdsa_p256_public_key(&ecdsa_pkcs8()).unwrap();
    let mut keys = BTreeMap::new();
    keys.insert(s1.keyid.clone(), other);
    assert_eq!(
        verify_signatures(&env, &RoleKeys::new("root", keys, 1))
            .unwrap_err()
            .to_string(),
        "key ID is not valid for key content"
    );
    // Fractional numbers in `signed` make verification fail.
    let env = envelope(r#"{"a":1.5}"#, vec![s1]);
    assert!(matches!(
        verify_signatures(&env, &role("root", &[&k1], 1)),
        Err(TufError::Cjson(_))
    ));
}

#[test]
fn assembled_file_parses_and_verifies() {
    let pkcs8 = ecdsa_pkcs8();
    let key = ecdsa_p256_public_key(&pkcs8).unwrap();
    let ts = notary_tuf::data::Timestamp::new(
        notary_tuf::cjson::parse_time("2030-01-01T00:00:00.123Z").unwrap(),
        7,
        b"snapshot bytes",
    );
    let canonical = notary_tuf::cjson::to_canonical(&ts).unwrap();
    let sig = sign_ecdsa_p256(&pkcs8, &canonical).unwrap();
    let file = assemble_signed(&canonical, std::slice::from_ref(&sig));
    let text = String::from_utf8(file.clone()).unwrap();
    assert!(text.starts_with("{\"signed\":{\"_type\":\"Timestamp\",\"expires\":\"2030-01-01T00:00:00.123Z\",\"meta\":{\"snapshot\":{\"hashes\":{\"sha256\":"));
    assert!(text.ends_with(&format!(
        ",\"signatures\":[{{\"keyid\":\"{}\",\"method\":\"ecdsa\",\"sig\":\"{}\"}}]}}",
        key.key_id(),
        notary_tuf::data::serde_util::b64_encode(&sig.sig)
    )));
    let parsed: notary_tuf::data::SignedFile<notary_tuf::data::Timestamp> =
        notary_tuf::data::SignedFile::parse(&file).unwrap();
    assert_eq!(parsed.signed, ts);
    crypto::verify_signatures(&parsed.envelope, &role("timestamp", &[&key], 1)).unwrap();
}

#[test]
fn assemble_signed_html_escapes_like_go() {
    let out = assemble_signed("{\"a\":\"<&>\u{2028}é\"}".as_bytes(), &[]);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "{\"signed\":{\"a\":\"\\u003c\\u0026\\u003e\\u2028é\"},\"signatures\":[]}"
    );
}

#[test]
fn ecdsa_p384_with_sha256_verifies() {
    let msg = data("message.json");
    let key = PublicKey::new(KeyType::Ecdsa, b64(&data("p384.spki.b64")));
    let sig = b64(&data("p384.sig.b64"));
    assert_eq!(sig.len(), 96);
    verify_signature(&key, "ecdsa", msg.as_bytes(), &sig).unwrap();
    assert!(verify_signature(&key, "ecdsa", msg.replace('1', "2").as_bytes(), &sig).is_err());
    assert!(verify_signature(&key, "ecdsa", msg.as_bytes(), &sig[..64]).is_err());
}

#[test]
fn role_keys_from_ids() {
    let k1 = ecdsa_p256_public_key(&ecdsa_pkcs8()).unwrap();
    let id1 = k1.key_id().into_string();
    let mut all = BTreeMap::new();
    all.insert(id1.clone(), k1.clone());
    let rk = RoleKeys::from_ids("snapshot", std::slice::from_ref(&id1), &all, 1).unwrap();
    assert_eq!(rk.keys.len(), 1);
    assert_eq!(rk.name, "snapshot");
    assert_eq!(
        RoleKeys::from_ids("snapshot", &[id1, "missing".to_string()], &all, 1).unwrap_err(),
        "missing"
    );
}

//! Certificate helpers for root keys (spec-server §3.6 step 4, §3.6.1).

// Test code: a failed setup step panics, by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use notary_tuf::crypto::x509::{
    self, cert_bundle_to_key, certs_to_pem, chains_to_keys, cn_matches_gun, parse_cert_bundle,
    root_role_cert_chains, split_leaf, valid_root_chains, validate_certificate,
};
use notary_tuf::crypto::{sign_ecdsa_p256, verify_signatures, RoleKeys};
use notary_tuf::data::{Envelope, KeyType, PublicKey, Signature};
use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer,
    KeyPair,
};

const GUN: &str = "docker.com/notary/test";

fn utc(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
}

fn params(cn: &str, ca: bool, from: (i32, u8, u8), to: (i32, u8, u8)) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    p.distinguished_name = dn;
    p.is_ca = if ca {
        IsCa::Ca(BasicConstraints::Unconstrained)
    } else {
        IsCa::ExplicitNoCa
    };
    p.not_before = date_time_ymd(from.0, from.1, from.2);
    p.not_after = date_time_ymd(to.0, to.1, to.2);
    p
}

/// Self-signed leaf: (PEM as notary writes it, PKCS#8 of its key).
fn leaf(cn: &str, from: (i32, u8, u8), to: (i32, u8, u8)) -> (Vec<u8>, Vec<u8>) {
    let key = KeyPair::generate().unwrap();
    let cert = params(cn, false, from, to).self_signed(&key).unwrap();
    let parsed = x509::Certificate::from_der(cert.der()).unwrap();
    (certs_to_pem([&parsed]), key.serialize_der())
}

fn openssl_data(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/data/openssl/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn parse_leaf_fields() {
    let (pem, _) = leaf(GUN, (2026, 1, 1), (2036, 1, 1));
    let certs = parse_cert_bundle(&pem).unwrap();
    assert_eq!(certs.len(), 1);
    let c = &certs[0];
    assert!(!c.is_ca);
    assert_eq!(c.common_name, GUN);
    assert_eq!(c.not_before, utc(2026, 1, 1));
    assert_eq!(c.not_after, utc(2036, 1, 1));
    assert_eq!(c.key_algorithm, x509::CertKeyAlgorithm::Ecdsa);
    assert_eq!(c.signature_algorithm, "1.2.840.10045.4.3.2");
    // Re-encoding is byte-identical to standard PEM.
    assert_eq!(certs_to_pem(&certs), pem);
}

#[test]
fn pem_encoding_matches_openssl_output() {
    let pem = openssl_data("rsa2048.cert.pem");
    let certs = parse_cert_bundle(&pem).unwrap();
    assert_eq!(certs_to_pem(&certs), pem);
    assert_eq!(certs[0].common_name, "docker.com/notary/rsa");
    assert!(matches!(
        certs[0].key_algorithm,
        x509::CertKeyAlgorithm::Rsa { bits: 2048 }
    ));
}

#[test]
fn bundle_rules() {
    let ca_key = KeyPair::generate().unwrap();
    let ca_params = params("Intermediate", true, (2026, 1, 1), (2036, 1, 1));
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_cert = params(GUN, false, (2026, 1, 1), (2036, 1, 1))
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    let ca = x509::Certificate::from_der(ca_cert.der()).unwrap();
    let lf = x509::Certificate::from_der(leaf_cert.der()).unwrap();
    assert!(ca.is_ca);

    let chain = parse_cert_bundle(&certs_to_pem([&lf, &ca])).unwrap();
    let (l, ints) = split_leaf(chain).unwrap();
    assert_eq!(l, lf);
    assert_eq!(ints, vec![ca.clone()]);
    // CA first, two leaves, or no leaf: refused.
    assert!(split_leaf(parse_cert_bundle(&certs_to_pem([&ca, &lf])).unwrap()).is_none());
    assert!(split_leaf(parse_cert_bundle(&certs_to_pem([&lf, &lf])).unwrap()).is_none());
    assert!(split_leaf(parse_cert_bundle(&certs_to_pem([&ca])).unwrap()).is_none());

    // Key built from the chain: leaf then intermediates, ecdsa-x509.
    let key = cert_bundle_to_key(&lf, std::slice::from_ref(&ca)).unwrap();
    assert_eq!(key.keytype, KeyType::EcdsaX509);
    assert_eq!(key.public, certs_to_pem([&lf, &ca]));

    // Only CERTIFICATE blocks; garbage is an error.
    let mut mixed = certs_to_pem([&lf]);
    mixed.extend_from_slice(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
    assert!(parse_cert_bundle(&mixed).is_err());
    assert!(parse_cert_bundle(b"").is_err());
    assert!(
        parse_cert_bundle(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
            .is_err()
    );
    // first_certificate skips what is not a certificate.
    let mut pk_first = b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n".to_vec();
    pk_first.extend_from_slice(&certs_to_pem([&lf]));
    assert_eq!(x509::first_certificate(&pk_first).unwrap(), lf);
    // Text around the blocks is ignored, as by Go's pem.Decode.
    let mut texty = b"Certificate for the root key:\n".to_vec();
    texty.extend_from_slice(&certs_to_pem([&lf, &ca]));
    texty.extend_from_slice(b"trailing words\n");
    assert_eq!(parse_cert_bundle(&texty).unwrap().len(), 2);
}

#[test]
fn cn_gun_matching() {
    assert!(cn_matches_gun("docker.com/a", "docker.com/a"));
    assert!(!cn_matches_gun("docker.com/a", "docker.com/ab"));
    assert!(cn_matches_gun("docker.com/*", "docker.com/a/b"));
    assert!(cn_matches_gun("docker.com/a**", "docker.com/abc"));
    assert!(cn_matches_gun("*", "anything"));
    assert!(!cn_matches_gun("docker.com/*", "docker.org/a"));
    assert!(!cn_matches_gun("", "docker.com/a"));
}

#[test]
fn validity_window_with_one_day_slack() {
    let (pem, _) = leaf(GUN, (2026, 6, 10), (2027, 6, 10));
    let c = &parse_cert_bundle(&pem).unwrap()[0];
    validate_certificate(c, true, utc(2026, 7, 1)).unwrap();
    // NotBefore may be up to one day in the future.
    validate_certificate(c, true, utc(2026, 6, 9) + chrono::Duration::hours(1)).unwrap();
    validate_certificate(c, true, utc(2026, 6, 9)).unwrap();
    assert!(validate_certificate(c, true, utc(2026, 6, 9) - chrono::Duration::seconds(1)).is_err());
    // NotAfter is inclusive.
    validate_certificate(c, true, utc(2027, 6, 10)).unwrap();
    assert!(
        validate_certificate(c, true, utc(2027, 6, 10) + chrono::Duration::seconds(1)).is_err()
    );
    // Without the expiry check only sanity counts.
    validate_certificate(c, false, utc(2099, 1, 1)).unwrap();
}

#[test]
fn sanity_rules() {
    let now = utc(2027, 1, 1);
    let sha1 = &parse_cert_bundle(&openssl_data("rsa2048-sha1.cert.pem")).unwrap()[0];
    assert!(validate_certificate(sha1, false, now)
        .unwrap_err()
        .to_string()
        .contains("SHA1"));
    let small = &parse_cert_bundle(&openssl_data("rsa1024.cert.pem")).unwrap()[0];
    assert_eq!(
        validate_certificate(small, false, now)
            .unwrap_err()
            .to_string(),
        "RSA bit length is too short"
    );
    let good = &parse_cert_bundle(&openssl_data("rsa2048.cert.pem")).unwrap()[0];
    validate_certificate(good, true, now).unwrap();
    assert_eq!(
        cert_bundle_to_key(good, &[]).unwrap().keytype,
        KeyType::RsaX509
    );
}

/// A root signed by its certificate key verifies through the certificate re-encoding path.
#[test]
fn root_signature_through_certificate_keys() {
    let (pem, pkcs8) = leaf(GUN, (2026, 1, 1), (2036, 1, 1));
    let root_key = PublicKey::new(KeyType::EcdsaX509, pem.clone());
    let root_id = root_key.key_id().into_string();
    let signed = serde_json::json!({
        "_type": "Root", "consistent_snapshot": false, "expires": "2030-01-01T00:00:00Z",
        "keys": {root_id.clone(): root_key},
        "roles": {"root": {"keyids": [root_id.clone()], "threshold": 1}},
        "version": 1
    });
    let canonical = notary_tuf::cjson::canonicalize(&signed).unwrap();
    let plain_sig = sign_ecdsa_p256(&pkcs8, &canonical).unwrap();
    // The signer's key ID is the canonical (plain key) ID of the certificate key.
    assert_eq!(
        root_key.canonical_key_id().unwrap().as_str(),
        plain_sig.keyid
    );
    let sig = Signature {
        keyid: root_id.clone(),
        ..plain_sig
    };
    let env = Envelope {
        signed,
        signatures: vec![sig],
    };

    let mut keys = BTreeMap::new();
    keys.insert(root_id.clone(), root_key.clone());
    let chains = root_role_cert_chains(&keys, std::slice::from_ref(&root_id));
    assert_eq!(chains.len(), 1);
    let now = utc(2027, 1, 1);
    let valid = valid_root_chains(&chains, GUN, true, now).unwrap();
    let role = RoleKeys::new("root", chains_to_keys(&valid), 1);
    assert!(role.keys.contains_key(&root_id));
    verify_signatures(&env, &role).unwrap();

    // Wrong GUN or expired certificate: no leaf survives.
    assert!(valid_root_chains(&chains, "docker.com/other", true, now).is_none());
    assert!(valid_root_chains(&chains, GUN, true, utc(2037, 1, 1)).is_none());
    assert!(valid_root_chains(&chains, GUN, false, utc(2037, 1, 1)).is_some());
    assert!(valid_root_chains(&chains, "docker.com/*", true, now).is_none());

    // A certificate PEM written with CRLF line ends re-encodes differently: the rebuilt key's
    // ID no longer matches the signature's key ID, so it does not verify (Go behaviour).
    let crlf = String::from_utf8(pem)
        .unwrap()
        .replace('\n', "\r\n")
        .into_bytes();
    let crlf_key = PublicKey::new(KeyType::EcdsaX509, crlf);
    let crlf_id = crlf_key.key_id().into_string();
    let mut keys = BTreeMap::new();
    keys.insert(crlf_id.clone(), crlf_key);
    let chains = root_role_cert_chains(&keys, std::slice::from_ref(&crlf_id));
    let valid = valid_root_chains(&chains, GUN, true, now).unwrap();
    let role = RoleKeys::new("root", chains_to_keys(&valid), 1);
    let mut crlf_env = env.clone();
    crlf_env.signatures[0].keyid = crlf_id;
    assert!(verify_signatures(&crlf_env, &role).is_err());

    // Plain (non-certificate) root keys yield no chain at all.
    let plain = PublicKey::new(KeyType::Ecdsa, vec![1, 2, 3]);
    let mut keys = BTreeMap::new();
    keys.insert(plain.key_id().into_string(), plain.clone());
    assert!(root_role_cert_chains(&keys, &[plain.key_id().into_string()]).is_empty());
}

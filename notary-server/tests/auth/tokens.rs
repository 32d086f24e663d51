//! A test token CA and token minting: JWTs (ES256, ES384, RS256) signed by a leaf certificate of
//! a CA that the server's `rootcertbundle` trusts, with the signing key named by `x5c`, `jwk`
//! or `kid`.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair, KeyUsagePurpose,
    PKCS_ECDSA_P256_SHA256,
};
use ring::rand::SystemRandom;
use ring::signature::{
    EcdsaKeyPair, KeyPair as _, RsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING,
    ECDSA_P384_SHA384_FIXED_SIGNING, RSA_PKCS1_SHA256,
};
use serde_json::{json, Value};

/// A 2048-bit RSA test key (PKCS#8 DER); ring cannot generate RSA keys.
const RSA_TEST_KEY: &[u8] = include_bytes!("testdata/rsa2048.pk8");

/// A token-signing CA (the server's `rootcertbundle` holds its certificate).
pub struct TokenCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl TokenCa {
    pub fn new(name: &str) -> TokenCa {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name = rcgen::DistinguishedName::new();
        p.distinguished_name
            .push(rcgen::DnType::CommonName, name.to_string());
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        TokenCa {
            issuer: CertifiedIssuer::self_signed(p, key).unwrap(),
        }
    }

    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// An ES256 token signing key with a leaf certificate issued by this CA.
    pub fn signing_key(&self, name: &str) -> TokenKey {
        self.signing_key_of(name, KeyKind::Es256)
    }

    /// A token signing key of this kind with a leaf certificate issued by this CA.
    pub fn signing_key_of(&self, name: &str, kind: KeyKind) -> TokenKey {
        let key = match kind {
            KeyKind::Es256 => KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap(),
            KeyKind::Es384 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap(),
            KeyKind::Rs256 => KeyPair::from_pkcs8_der_and_sign_algo(
                &rustls_pki_types::PrivatePkcs8KeyDer::from(RSA_TEST_KEY),
                &rcgen::PKCS_RSA_SHA256,
            )
            .unwrap(),
        };
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name = rcgen::DistinguishedName::new();
        p.distinguished_name
            .push(rcgen::DnType::CommonName, name.to_string());
        p.is_ca = IsCa::ExplicitNoCa;
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let cert = p.signed_by(&key, &self.issuer).unwrap();
        TokenKey::from_parts(&key, kind, cert.der().to_vec())
    }

    /// The CA's own key as a token signer (a bundle certificate used through `kid` / `jwk`).
    pub fn as_signer(&self) -> TokenKey {
        TokenKey::from_parts(
            self.issuer.key(),
            KeyKind::Es256,
            self.issuer.der().to_vec(),
        )
    }
}

/// The JWS algorithm of a test signing key.
#[derive(Debug, Clone, Copy)]
pub enum KeyKind {
    Es256,
    Es384,
    Rs256,
}

enum Signing {
    Ec(EcdsaKeyPair),
    Rsa(RsaKeyPair),
}

/// A signing key plus its certificate.
pub struct TokenKey {
    key: Signing,
    kind: KeyKind,
    pub cert_der: Vec<u8>,
    /// Raw SubjectPublicKeyInfo DER.
    pub spki_der: Vec<u8>,
}

/// How the token header names the signing key.
#[derive(Debug, Clone, Copy)]
pub enum KeyRef {
    X5c,
    /// A JWK that must itself be a bundle key.
    Jwk,
    /// A JWK carrying its own `x5c` chain.
    JwkX5c,
    Kid,
}

impl TokenKey {
    fn from_parts(key: &KeyPair, kind: KeyKind, cert_der: Vec<u8>) -> TokenKey {
        let pkcs8 = key.serialize_der();
        let rng = SystemRandom::new();
        let key = match kind {
            KeyKind::Es256 => Signing::Ec(
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8, &rng).unwrap(),
            ),
            KeyKind::Es384 => Signing::Ec(
                EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &pkcs8, &rng).unwrap(),
            ),
            KeyKind::Rs256 => Signing::Rsa(RsaKeyPair::from_pkcs8(&pkcs8).unwrap()),
        };
        let spki_der = {
            use x509_parser::prelude::FromDer;
            let (_, c) = x509_parser::certificate::X509Certificate::from_der(&cert_der).unwrap();
            c.public_key().raw.to_vec()
        };
        TokenKey {
            key,
            kind,
            cert_der,
            spki_der,
        }
    }

    /// The libtrust key ID of this key.
    pub fn kid(&self) -> String {
        notary_server::auth::token_keys::libtrust_key_id(&self.spki_der)
    }

    /// The libtrust-style public JWK.
    pub fn jwk(&self) -> Value {
        match &self.key {
            Signing::Ec(k) => {
                let point = k.public_key().as_ref();
                let n = (point.len() - 1) / 2;
                let crv = if n == 32 { "P-256" } else { "P-384" };
                json!({"kty": "EC", "crv": crv,
                    "x": URL_SAFE_NO_PAD.encode(&point[1..1 + n]),
                    "y": URL_SAFE_NO_PAD.encode(&point[1 + n..])})
            }
            Signing::Rsa(k) => {
                let c = ring::rsa::PublicKeyComponents::<Vec<u8>>::from(k.public());
                json!({"kty": "RSA", "n": URL_SAFE_NO_PAD.encode(c.n), "e": URL_SAFE_NO_PAD.encode(c.e)})
            }
        }
    }

    pub fn alg(&self) -> &'static str {
        match self.kind {
            KeyKind::Es256 => "ES256",
            KeyKind::Es384 => "ES384",
            KeyKind::Rs256 => "RS256",
        }
    }

    pub fn header(&self, how: KeyRef) -> Value {
        let alg = self.alg();
        match how {
            KeyRef::X5c => {
                json!({"typ": "JWT", "alg": alg, "x5c": [STANDARD.encode(&self.cert_der)]})
            }
            KeyRef::Jwk => json!({"typ": "JWT", "alg": alg, "jwk": self.jwk()}),
            KeyRef::JwkX5c => {
                let mut jwk = self.jwk();
                jwk["x5c"] = json!([STANDARD.encode(&self.cert_der)]);
                json!({"typ": "JWT", "alg": alg, "jwk": jwk})
            }
            KeyRef::Kid => json!({"typ": "JWT", "alg": alg, "kid": self.kid()}),
        }
    }

    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        match &self.key {
            Signing::Ec(k) => k.sign(&rng, msg).unwrap().as_ref().to_vec(),
            Signing::Rsa(k) => {
                let mut sig = vec![0; k.public().modulus_len()];
                k.sign(&RSA_PKCS1_SHA256, &rng, msg, &mut sig).unwrap();
                sig
            }
        }
    }

    /// A signed token.
    pub fn mint(&self, how: KeyRef, claims: &Value) -> String {
        mint_with(&self.header(how), claims, |m| self.sign(m))
    }
}

/// `b64(header).b64(claims).b64(sign(...))`.
pub fn mint_with(header: &Value, claims: &Value, sign: impl Fn(&[u8]) -> Vec<u8>) -> String {
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let sig = sign(signing_input.as_bytes());
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Claims for `issuer`/`service` granting `access` (a list of `(type, name, actions)`), valid
/// from a minute ago for five minutes.
pub fn claims(issuer: &str, service: &str, access: &[(&str, &str, &[&str])]) -> Value {
    let n = now();
    json!({
        "iss": issuer, "sub": "tester", "aud": service,
        "exp": n + 300, "nbf": n - 60, "iat": n - 60, "jti": format!("jti-{n}-{}", rand_suffix()),
        "access": access.iter().map(|(t, name, actions)| json!({"type": t, "name": name, "actions": actions})).collect::<Vec<_>>(),
    })
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

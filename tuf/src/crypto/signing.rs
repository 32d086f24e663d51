//! Producing signatures with ring (ECDSA P-256 raw `r‖s`, Ed25519).

use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair};

use super::verify::{METHOD_ECDSA, METHOD_EDDSA};
use crate::data::{KeyType, PublicKey, Signature};
use crate::error::CryptoError;

/// DER prefix of a P-256 SubjectPublicKeyInfo (id-ecPublicKey, prime256v1, BIT STRING of 66
/// bytes); followed by the 65-byte uncompressed point. Same bytes as Go's
/// `x509.MarshalPKIXPublicKey`.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// DER SPKI of a P-256 public key given as an uncompressed point.
pub fn p256_spki_from_point(point: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(P256_SPKI_PREFIX.len() + point.len());
    out.extend_from_slice(&P256_SPKI_PREFIX);
    out.extend_from_slice(point);
    out
}

fn ecdsa_pair(pkcs8: &[u8]) -> Result<EcdsaKeyPair, CryptoError> {
    EcdsaKeyPair::from_pkcs8(
        &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        pkcs8,
        &SystemRandom::new(),
    )
    .map_err(|e| CryptoError::BadPrivateKey(e.to_string()))
}

fn ed25519_pair(pkcs8: &[u8]) -> Result<Ed25519KeyPair, CryptoError> {
    Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8)
        .map_err(|e| CryptoError::BadPrivateKey(e.to_string()))
}

/// The TUF `ecdsa` public key (DER SPKI) of a P-256 PKCS#8 private key.
pub fn ecdsa_p256_public_key(pkcs8: &[u8]) -> Result<PublicKey, CryptoError> {
    let pair = ecdsa_pair(pkcs8)?;
    Ok(PublicKey::new(
        KeyType::Ecdsa,
        p256_spki_from_point(pair.public_key().as_ref()),
    ))
}

/// The TUF `ed25519` public key (raw 32 bytes) of an Ed25519 PKCS#8 (v1 or v2) private key.
pub fn ed25519_public_key(pkcs8: &[u8]) -> Result<PublicKey, CryptoError> {
    let pair = ed25519_pair(pkcs8)?;
    Ok(PublicKey::new(
        KeyType::Ed25519,
        pair.public_key().as_ref().to_vec(),
    ))
}

/// Sign `msg` with a P-256 PKCS#8 key: SHA-256, raw 64-byte `r‖s`, method `ecdsa`, `keyid` the
/// TUF ID of the matching `ecdsa` public key.
pub fn sign_ecdsa_p256(pkcs8: &[u8], msg: &[u8]) -> Result<Signature, CryptoError> {
    let pair = ecdsa_pair(pkcs8)?;
    let sig = pair
        .sign(&SystemRandom::new(), msg)
        .map_err(|_| CryptoError::BadPrivateKey("ECDSA signing failed".to_string()))?;
    let key = PublicKey::new(
        KeyType::Ecdsa,
        p256_spki_from_point(pair.public_key().as_ref()),
    );
    Ok(Signature {
        keyid: key.key_id().into_string(),
        method: METHOD_ECDSA.to_string(),
        sig: sig.as_ref().to_vec(),
    })
}

/// Sign `msg` with an Ed25519 PKCS#8 key: method `eddsa`, `keyid` the TUF ID of the raw key.
pub fn sign_ed25519(pkcs8: &[u8], msg: &[u8]) -> Result<Signature, CryptoError> {
    let pair = ed25519_pair(pkcs8)?;
    let key = PublicKey::new(KeyType::Ed25519, pair.public_key().as_ref().to_vec());
    Ok(Signature {
        keyid: key.key_id().into_string(),
        method: METHOD_EDDSA.to_string(),
        sig: pair.sign(msg).as_ref().to_vec(),
    })
}

//! Single-signature verification for every method notary knows (spec-server §10.5), with ring.

use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use x509_parser::prelude::FromDer;
use x509_parser::x509::SubjectPublicKeyInfo;

use super::x509;
use crate::data::{KeyType, PublicKey};
use crate::error::CryptoError;

/// Signature method of ECDSA keys (raw `r‖s` signatures).
pub const METHOD_ECDSA: &str = "ecdsa";
/// Signature method of Ed25519 keys.
pub const METHOD_EDDSA: &str = "eddsa";
/// Signature method RSASSA-PSS with SHA-256.
pub const METHOD_RSAPSS: &str = "rsapss";
/// Signature method RSASSA-PKCS1-v1_5 with SHA-256.
pub const METHOD_RSAPKCS1V15: &str = "rsapkcs1v15";
/// RSASSA-PSS with SHA-256 under its old PyCrypto name; the key's public bytes are PEM.
pub const METHOD_PYCRYPTO: &str = "pycrypto-pkcs#1 pss";

const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_P384: &str = "1.3.132.0.34";
const OID_RSA: &str = "1.2.840.113549.1.1.1";

const MIN_RSA_BITS: usize = 2048;
const MIN_RSA_SIG_BYTES: usize = MIN_RSA_BITS / 8;

/// Verify `sig` over `msg` (the canonical `signed` bytes) with `key` using `method` (already
/// lower-cased). Mirrors Go's `signed.Verifiers`:
///
/// * `eddsa`: `ed25519` keys of exactly 32 bytes, 64-byte signatures.
/// * `ecdsa`: `ecdsa` (DER SPKI) or `ecdsa-x509` (first PEM certificate) keys; SHA-256 for
///   every curve; raw `r‖s` of exactly twice the curve's byte size (P-256 and P-384; ring has
///   no P-521, so such keys never verify). DER signatures fail.
/// * `rsapss`: `rsa`/`rsa-x509`, PSS with SHA-256, MGF1-SHA-256, 32-byte salt, modulus of at
///   least 2048 bits (ring caps at 8192), signature of at least 256 bytes.
/// * `rsapkcs1v15`: as `rsapss` with PKCS#1 v1.5 padding.
/// * `pycrypto-pkcs#1 pss`: `rsa` keys whose public bytes are PEM; verified as `rsapss`.
pub fn verify_signature(
    key: &PublicKey,
    method: &str,
    msg: &[u8],
    sig: &[u8],
) -> Result<(), CryptoError> {
    match method {
        METHOD_EDDSA => verify_ed25519(key, msg, sig),
        METHOD_ECDSA => verify_ecdsa(key, msg, sig),
        METHOD_RSAPSS => {
            let spki = rsa_spki(key)?;
            verify_rsa(&spki, &signature::RSA_PSS_2048_8192_SHA256, msg, sig)
        }
        METHOD_RSAPKCS1V15 => {
            let spki = rsa_spki(key)?;
            verify_rsa(&spki, &signature::RSA_PKCS1_2048_8192_SHA256, msg, sig)
        }
        METHOD_PYCRYPTO => {
            if key.keytype != KeyType::Rsa {
                return Err(CryptoError::InvalidKeyType);
            }
            let block = x509::first_pem_block(&key.public).ok_or(CryptoError::Invalid)?;
            verify_rsa(&block, &signature::RSA_PSS_2048_8192_SHA256, msg, sig)
        }
        _ => Err(CryptoError::WrongMethod),
    }
}

fn verify_ed25519(key: &PublicKey, msg: &[u8], sig: &[u8]) -> Result<(), CryptoError> {
    if key.keytype != KeyType::Ed25519 {
        return Err(CryptoError::InvalidKeyType);
    }
    if sig.len() != 64 {
        return Err(CryptoError::Invalid);
    }
    if key.public.len() != 32 {
        return Err(CryptoError::InvalidKeyLength(
            "ed25519 public key must be 32 bytes.".to_string(),
        ));
    }
    UnparsedPublicKey::new(&signature::ED25519, &key.public)
        .verify(msg, sig)
        .map_err(|_| CryptoError::Invalid)
}

/// The DER SPKI behind an `ecdsa`/`ecdsa-x509` key.
fn ecdsa_spki(key: &PublicKey) -> Result<Vec<u8>, CryptoError> {
    match key.keytype {
        KeyType::Ecdsa => Ok(key.public.clone()),
        KeyType::EcdsaX509 => x509::first_block_certificate_spki(&key.public),
        _ => Err(CryptoError::InvalidKeyType),
    }
}

/// The DER SPKI behind an `rsa`/`rsa-x509` key.
fn rsa_spki(key: &PublicKey) -> Result<Vec<u8>, CryptoError> {
    match key.keytype {
        KeyType::Rsa => Ok(key.public.clone()),
        KeyType::RsaX509 => x509::first_block_certificate_spki(&key.public),
        _ => Err(CryptoError::InvalidKeyType),
    }
}

fn parse_spki(der: &[u8]) -> Result<SubjectPublicKeyInfo<'_>, CryptoError> {
    match SubjectPublicKeyInfo::from_der(der) {
        Ok(([], spki)) => Ok(spki),
        _ => Err(CryptoError::Invalid),
    }
}

fn verify_ecdsa(key: &PublicKey, msg: &[u8], sig: &[u8]) -> Result<(), CryptoError> {
    let der = ecdsa_spki(key)?;
    let spki = parse_spki(&der)?;
    if spki.algorithm.algorithm.to_id_string() != OID_EC_PUBLIC_KEY {
        return Err(CryptoError::Invalid);
    }
    let curve = x509::ec_curve_oid(&spki).ok_or(CryptoError::Invalid)?;
    let point = spki.subject_public_key.data.as_ref();
    match curve.as_str() {
        OID_P256 => {
            if sig.len() != 64 {
                return Err(CryptoError::Invalid);
            }
            UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                .verify(msg, sig)
                .map_err(|_| CryptoError::Invalid)
        }
        OID_P384 => {
            // ring offers P-384 with SHA-256 only in ASN.1 form: re-encode r‖s as DER.
            if sig.len() != 96 {
                return Err(CryptoError::Invalid);
            }
            let der_sig = raw_to_der_ecdsa(&sig[..48], &sig[48..]);
            UnparsedPublicKey::new(&signature::ECDSA_P384_SHA256_ASN1, point)
                .verify(msg, &der_sig)
                .map_err(|_| CryptoError::Invalid)
        }
        _ => Err(CryptoError::Invalid),
    }
}

/// DER `SEQUENCE { INTEGER r, INTEGER s }` from big-endian unsigned halves (short lengths
/// suffice: at most 2 × 49 content bytes for P-384).
fn raw_to_der_ecdsa(r: &[u8], s: &[u8]) -> Vec<u8> {
    fn integer(out: &mut Vec<u8>, v: &[u8]) {
        let start = v.iter().position(|b| *b != 0).unwrap_or(v.len());
        let v = &v[start..];
        let pad = v.first().is_none_or(|b| b & 0x80 != 0);
        out.push(0x02);
        out.push((v.len() + usize::from(pad)) as u8);
        if pad {
            out.push(0);
        }
        out.extend_from_slice(v);
    }
    let mut body = Vec::with_capacity(104);
    integer(&mut body, r);
    integer(&mut body, s);
    let mut out = Vec::with_capacity(body.len() + 3);
    out.push(0x30);
    if body.len() >= 0x80 {
        out.push(0x81);
    }
    out.push(body.len() as u8);
    out.extend_from_slice(&body);
    out
}

fn verify_rsa(
    spki_der: &[u8],
    alg: &'static dyn VerificationAlgorithm,
    msg: &[u8],
    sig: &[u8],
) -> Result<(), CryptoError> {
    let spki = parse_spki(spki_der)?;
    if spki.algorithm.algorithm.to_id_string() != OID_RSA {
        return Err(CryptoError::Invalid);
    }
    let rsa_der = spki.subject_public_key.data.as_ref();
    let bits = match spki.parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => unsigned_bit_len(rsa.modulus),
        _ => return Err(CryptoError::Invalid),
    };
    if bits < MIN_RSA_BITS {
        return Err(CryptoError::InvalidKeyLength(format!(
            "RSA key must be at least {MIN_RSA_BITS} bits."
        )));
    }
    if sig.len() < MIN_RSA_SIG_BYTES {
        return Err(CryptoError::Invalid);
    }
    UnparsedPublicKey::new(alg, rsa_der)
        .verify(msg, sig)
        .map_err(|_| CryptoError::Invalid)
}

/// Bit length of a big-endian unsigned integer (leading zero bytes ignored).
pub(crate) fn unsigned_bit_len(v: &[u8]) -> usize {
    match v.iter().position(|b| *b != 0) {
        None => 0,
        Some(i) => (v.len() - i - 1) * 8 + (8 - v[i].leading_zeros() as usize),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_from_raw_handles_zero_and_high_bits() {
        // r = 0x00..0x01 (leading zeros stripped), s = 0x80.. (needs a 0x00 pad).
        let mut r = [0u8; 48];
        r[47] = 1;
        let mut s = [0u8; 48];
        s[0] = 0x80;
        let der = raw_to_der_ecdsa(&r, &s);
        assert_eq!(&der[..5], &[0x30, 3 + 2 + 49, 0x02, 0x01, 0x01]);
        assert_eq!(&der[5..8], &[0x02, 49, 0x00]);
        assert_eq!(der.len(), 2 + 3 + 2 + 49);
        // All-zero integer encodes as a single zero byte.
        assert_eq!(
            raw_to_der_ecdsa(&[0; 2], &[0; 2]),
            vec![0x30, 6, 2, 1, 0, 2, 1, 0]
        );
        // Long form length when the body reaches 128 bytes.
        let big = [0xffu8; 64];
        let der = raw_to_der_ecdsa(&big, &big);
        assert_eq!(&der[..3], &[0x30, 0x81, 2 * (2 + 65)]);
    }

    #[test]
    fn bit_length() {
        assert_eq!(unsigned_bit_len(&[]), 0);
        assert_eq!(unsigned_bit_len(&[0, 0]), 0);
        assert_eq!(unsigned_bit_len(&[0, 1]), 1);
        assert_eq!(unsigned_bit_len(&[0, 0x80, 0]), 16);
        assert_eq!(unsigned_bit_len(&[0x7f, 0xff]), 15);
    }
}

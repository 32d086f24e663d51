//! Key pairs in the formats Go Notary stores and exchanges (spec-signer §2.6, §6.3).
//!
//! * ECDSA P-256: public = DER SubjectPublicKeyInfo (91 bytes); private plaintext = SEC1
//!   `ECPrivateKey` DER with the `[0]` curve OID and `[1]` public point (121 bytes).
//! * Ed25519: public = raw 32 bytes; private plaintext = `pub ‖ seed ‖ pub` (96 bytes).

use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{EcdsaKeyPair, Ed25519KeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use zeroize::Zeroizing;

use super::der;

/// Value of the prime256v1 OID.
const P256_OID: [u8; 8] = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const P256_SCALAR_LEN: usize = 32;
const P256_POINT_LEN: usize = 65;
const ED25519_LEN: usize = 32;

/// Why a key could not be generated, parsed or used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The algorithm is not one the signer generates or understands.
    #[error("private key type not supported: {0}")]
    Unsupported(String),
    /// Stored key bytes do not have the expected layout.
    #[error("malformed key: {0}")]
    Malformed(&'static str),
    /// ring rejected the key material (e.g. private and public halves do not match).
    #[error("key rejected: {0}")]
    Rejected(String),
    /// The system random number generator or the signing primitive failed.
    #[error("cryptographic failure")]
    Crypto,
}

/// The key types the signer creates: the TUF `keytype` strings `ecdsa` and `ed25519`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAlgorithm {
    /// NIST P-256 ECDSA, signatures over SHA-256, raw `r‖s`.
    Ecdsa,
    /// Ed25519 (RFC 8032).
    Ed25519,
}

impl KeyAlgorithm {
    /// Parses the exact lower-case strings Go accepts (`"ECDSA"`, `"rsa"`, `""` are rejected).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ecdsa" => Some(Self::Ecdsa),
            "ed25519" => Some(Self::Ed25519),
            _ => None,
        }
    }

    /// The TUF key type (`ecdsa` / `ed25519`), stored in `private_keys.algorithm`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ecdsa => "ecdsa",
            Self::Ed25519 => "ed25519",
        }
    }

    /// The TUF signature method name (`ecdsa` / `eddsa`).
    pub fn signature_method(self) -> &'static str {
        match self {
            Self::Ecdsa => notary_tuf::crypto::METHOD_ECDSA,
            Self::Ed25519 => notary_tuf::crypto::METHOD_EDDSA,
        }
    }
}

/// A freshly generated key pair, ready to be encrypted and stored.
pub struct NewKeyPair {
    /// Key type.
    pub algorithm: KeyAlgorithm,
    /// Public bytes (SPKI DER for ECDSA, raw for Ed25519).
    pub public: Vec<u8>,
    /// Private plaintext in Go's layout; wiped on drop.
    pub private: Zeroizing<Vec<u8>>,
}

impl NewKeyPair {
    /// Generates a new key of `algorithm`.
    pub fn generate(algorithm: KeyAlgorithm) -> Result<Self, KeyError> {
        let rng = SystemRandom::new();
        match algorithm {
            KeyAlgorithm::Ecdsa => {
                let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                    .map_err(|_| KeyError::Crypto)?;
                let pkcs8 = Zeroizing::new(pkcs8.as_ref().to_vec());
                let (d, point) = scalar_and_point_from_pkcs8(&pkcs8)?;
                let point = point.ok_or(KeyError::Malformed("PKCS#8 without public key"))?;
                Ok(Self {
                    algorithm,
                    public: notary_tuf::crypto::p256_spki_from_point(point),
                    private: p256_sec1(&d, point),
                })
            }
            KeyAlgorithm::Ed25519 => {
                let mut seed = Zeroizing::new([0u8; ED25519_LEN]);
                rng.fill(seed.as_mut()).map_err(|_| KeyError::Crypto)?;
                let pair = Ed25519KeyPair::from_seed_unchecked(seed.as_ref())
                    .map_err(|e| KeyError::Rejected(e.to_string()))?;
                let public = pair.public_key().as_ref().to_vec();
                let mut private = Zeroizing::new(Vec::with_capacity(3 * ED25519_LEN));
                private.extend_from_slice(&public);
                private.extend_from_slice(seed.as_ref());
                private.extend_from_slice(&public);
                Ok(Self {
                    algorithm,
                    public,
                    private,
                })
            }
        }
    }

    /// The TUF key ID of this key.
    pub fn key_id(&self) -> String {
        key_id(self.algorithm.as_str(), &self.public)
    }
}

/// A decrypted private key that can sign.
pub enum SigningKey {
    /// P-256 key.
    Ecdsa(EcdsaKeyPair),
    /// Ed25519 key.
    Ed25519(Ed25519KeyPair),
}

impl SigningKey {
    /// Builds a signing key from a stored row: its `algorithm` column, its `public` column and
    /// the decrypted private plaintext.
    pub fn from_stored(algorithm: &str, public: &[u8], private: &[u8]) -> Result<Self, KeyError> {
        match KeyAlgorithm::parse(algorithm) {
            Some(KeyAlgorithm::Ecdsa) => {
                let point = public
                    .len()
                    .checked_sub(P256_POINT_LEN)
                    .map(|start| &public[start..])
                    .filter(|p| notary_tuf::crypto::p256_spki_from_point(p) == public)
                    .ok_or(KeyError::Malformed("public key is not a P-256 SPKI"))?;
                let (d, _) = scalar_and_point_from_sec1(private)?;
                let pair = EcdsaKeyPair::from_private_key_and_public_key(
                    &ECDSA_P256_SHA256_FIXED_SIGNING,
                    d.as_ref(),
                    point,
                    &SystemRandom::new(),
                )
                .map_err(|e| KeyError::Rejected(e.to_string()))?;
                Ok(Self::Ecdsa(pair))
            }
            Some(KeyAlgorithm::Ed25519) => {
                // Go layout pub‖seed‖pub (96 bytes); also accept seed‖pub (64) and seed (32).
                let seed = match private.len() {
                    96 => &private[ED25519_LEN..2 * ED25519_LEN],
                    64 | 32 => &private[..ED25519_LEN],
                    _ => return Err(KeyError::Malformed("ed25519 private key length")),
                };
                let pair = Ed25519KeyPair::from_seed_and_public_key(seed, public)
                    .map_err(|e| KeyError::Rejected(e.to_string()))?;
                Ok(Self::Ed25519(pair))
            }
            None => Err(KeyError::Unsupported(algorithm.to_owned())),
        }
    }

    /// The key type.
    pub fn algorithm(&self) -> KeyAlgorithm {
        match self {
            Self::Ecdsa(_) => KeyAlgorithm::Ecdsa,
            Self::Ed25519(_) => KeyAlgorithm::Ed25519,
        }
    }

    /// Signs `message`: ECDSA → 64-byte `r‖s` over SHA-256(message); Ed25519 → 64 bytes.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        match self {
            Self::Ecdsa(pair) => pair
                .sign(&SystemRandom::new(), message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| KeyError::Crypto),
            Self::Ed25519(pair) => Ok(pair.sign(message).as_ref().to_vec()),
        }
    }
}

/// TUF key ID of a public key (notary-tuf's: SHA-256 of its canonical JSON, lower-case hex).
pub fn key_id(keytype: &str, public: &[u8]) -> String {
    use notary_tuf::data::{KeyType, PublicKey};
    PublicKey::new(KeyType::parse(keytype), public.to_vec())
        .key_id()
        .into_string()
}

/// SEC1 `ECPrivateKey` exactly as Go's `x509.MarshalECPrivateKey` writes it for P-256.
fn p256_sec1(d: &[u8; P256_SCALAR_LEN], point: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(121));
    out.extend_from_slice(&[0x30, 0x77, 0x02, 0x01, 0x01, 0x04, 0x20]);
    out.extend_from_slice(d);
    out.extend_from_slice(&[0xa0, 0x0a, 0x06, 0x08]);
    out.extend_from_slice(&P256_OID);
    out.extend_from_slice(&[0xa1, 0x44, 0x03, 0x42, 0x00]);
    out.extend_from_slice(point);
    out
}

/// A P-256 private scalar (wiped on drop) and, if present, the public point it came with.
type ScalarAndPoint<'a> = (Zeroizing<[u8; P256_SCALAR_LEN]>, Option<&'a [u8]>);

/// Reads the private scalar (left-padded to 32 bytes) and the optional public point of a SEC1
/// `ECPrivateKey`; rejects curves other than P-256 when the `[0]` parameters are present.
fn scalar_and_point_from_sec1(sec1: &[u8]) -> Result<ScalarAndPoint<'_>, KeyError> {
    let (body, _) = der::expect(sec1, der::SEQUENCE)?;
    let (version, rest) = der::expect(body, der::INTEGER)?;
    if version != [1] {
        return Err(KeyError::Malformed("ECPrivateKey version"));
    }
    let (scalar, mut rest) = der::expect(rest, der::OCTET_STRING)?;
    if scalar.is_empty() || scalar.len() > P256_SCALAR_LEN {
        return Err(KeyError::Malformed("ECPrivateKey scalar length"));
    }
    let mut d = Zeroizing::new([0u8; P256_SCALAR_LEN]);
    d[P256_SCALAR_LEN - scalar.len()..].copy_from_slice(scalar);
    let mut point = None;
    while !rest.is_empty() {
        let (tag, value, after) = der::read(rest)?;
        rest = after;
        match tag {
            0xa0 => {
                let (oid, _) = der::expect(value, der::OID)?;
                if oid != P256_OID {
                    return Err(KeyError::Unsupported("ecdsa curve other than P-256".into()));
                }
            }
            0xa1 => {
                let (bits, _) = der::expect(value, der::BIT_STRING)?;
                match bits.split_first() {
                    Some((0, p)) => point = Some(p),
                    _ => return Err(KeyError::Malformed("ECPrivateKey public key")),
                }
            }
            _ => {}
        }
    }
    Ok((d, point))
}

/// Unwraps ring's PKCS#8 v1 document (`SEQUENCE { 0, AlgorithmIdentifier, OCTET STRING
/// { ECPrivateKey } }`) and reads the SEC1 inside it.
fn scalar_and_point_from_pkcs8(pkcs8: &[u8]) -> Result<ScalarAndPoint<'_>, KeyError> {
    let (body, _) = der::expect(pkcs8, der::SEQUENCE)?;
    let (_version, rest) = der::expect(body, der::INTEGER)?;
    let (_alg, rest) = der::expect(rest, der::SEQUENCE)?;
    let (sec1, _) = der::expect(rest, der::OCTET_STRING)?;
    scalar_and_point_from_sec1(sec1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_FIXED, ED25519};

    #[test]
    fn key_id_matches_go_fixture() {
        use base64::Engine as _;
        let public = base64::engine::general_purpose::STANDARD
            .decode("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEZKFFI+3g0NH+9mitd5bRO3hkH3PG2cniXVrzqKKfRyc5QvmNc6W8wZ5IGlls6ZZX/GgKRzcpIttDidrOGiGlwQ==")
            .unwrap();
        assert_eq!(
            key_id("ecdsa", &public),
            "f694343ec1d508b2840d86aec5387d7b4d62a39647e33566b2b2abf96029750c"
        );
    }

    #[test]
    fn ecdsa_layouts_and_signature() {
        let pair = NewKeyPair::generate(KeyAlgorithm::Ecdsa).unwrap();
        assert_eq!(pair.public.len(), 91);
        assert_eq!(pair.private.len(), 121);
        let key = SigningKey::from_stored("ecdsa", &pair.public, &pair.private).unwrap();
        let sig = key.sign(b"hello").unwrap();
        assert_eq!(sig.len(), 64);
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &pair.public[26..])
            .verify(b"hello", &sig)
            .unwrap();
    }

    #[test]
    fn ed25519_layouts_and_signature() {
        let pair = NewKeyPair::generate(KeyAlgorithm::Ed25519).unwrap();
        assert_eq!(pair.public.len(), 32);
        assert_eq!(pair.private.len(), 96);
        assert_eq!(&pair.private[..32], &pair.public[..]);
        assert_eq!(&pair.private[64..], &pair.public[..]);
        let key = SigningKey::from_stored("ed25519", &pair.public, &pair.private).unwrap();
        let sig = key.sign(b"hello").unwrap();
        UnparsedPublicKey::new(&ED25519, &pair.public)
            .verify(b"hello", &sig)
            .unwrap();
    }

    #[test]
    fn mismatched_halves_are_rejected() {
        let a = NewKeyPair::generate(KeyAlgorithm::Ecdsa).unwrap();
        let b = NewKeyPair::generate(KeyAlgorithm::Ecdsa).unwrap();
        assert!(SigningKey::from_stored("ecdsa", &a.public, &b.private).is_err());
        assert!(SigningKey::from_stored("rsa", &a.public, &a.private).is_err());
        assert!(SigningKey::from_stored("ecdsa", &a.public, b"garbage").is_err());
    }
}

//! Token signing keys: public keys from certificates and JWKs, libtrust key IDs, signature checks
//! with ring, and X.509 chain validation of `x5c` against the root bundle (rustls-webpki).

use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use rustls_pki_types::{CertificateDer, TrustAnchor, UnixTime};
use serde_json::Value;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey as ParsedKey;

use super::b64url_decode;

/// A NIST curve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    P256,
    P384,
    P521,
}

impl Curve {
    fn coordinate_len(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
            Curve::P521 => 66,
        }
    }

    /// The only JWS algorithm libtrust accepts for a key on this curve.
    fn jws_alg(self) -> &'static str {
        match self {
            Curve::P256 => "ES256",
            Curve::P384 => "ES384",
            Curve::P521 => "ES512",
        }
    }
}

/// A token signing public key, in a canonical form so keys from certificates and JWKs compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// Uncompressed SEC1 point `04 || x || y`.
    Ec { curve: Curve, point: Vec<u8> },
    /// Big-endian modulus and exponent without leading zeros.
    Rsa { n: Vec<u8>, e: Vec<u8> },
}

fn strip_zeros(b: &[u8]) -> Vec<u8> {
    let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    b[start..].to_vec()
}

impl PublicKey {
    /// The key of a parsed certificate (EC on P-256/384/521 or RSA, like libtrust).
    pub fn from_cert(cert: &X509Certificate<'_>) -> Result<PublicKey, String> {
        let spki = cert.public_key();
        match spki.parsed() {
            Ok(ParsedKey::RSA(k)) => Ok(PublicKey::Rsa {
                n: strip_zeros(k.modulus),
                e: strip_zeros(k.exponent),
            }),
            Ok(ParsedKey::EC(point)) => {
                let curve_oid = spki
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.as_oid().ok())
                    .map(|o| o.to_id_string())
                    .unwrap_or_default();
                let curve = match curve_oid.as_str() {
                    "1.2.840.10045.3.1.7" => Curve::P256,
                    "1.3.132.0.34" => Curve::P384,
                    "1.3.132.0.35" => Curve::P521,
                    other => return Err(format!("unsupported elliptic curve {other:?}")),
                };
                let point = point.data().to_vec();
                if point.len() != 1 + 2 * curve.coordinate_len() || point[0] != 4 {
                    return Err("malformed EC public key".into());
                }
                Ok(PublicKey::Ec { curve, point })
            }
            Ok(_) => Err("unsupported public key type (need EC or RSA)".into()),
            Err(e) => Err(format!("bad public key: {e}")),
        }
    }

    /// A libtrust JWK (`{"kty":"EC","crv":"P-256","x":..,"y":..}` or `{"kty":"RSA","n":..,"e":..}`).
    pub fn from_jwk(jwk: &Value) -> Result<PublicKey, String> {
        let field = |name: &str| -> Result<Vec<u8>, String> {
            let s = jwk
                .get(name)
                .and_then(Value::as_str)
                .ok_or_else(|| format!("jwk has no string {name:?}"))?;
            b64url_decode(s).map_err(|_| format!("jwk {name:?} is not base64url"))
        };
        match jwk.get("kty").and_then(Value::as_str) {
            Some("EC") => {
                let curve = match jwk.get("crv").and_then(Value::as_str) {
                    Some("P-256") => Curve::P256,
                    Some("P-384") => Curve::P384,
                    Some("P-521") => Curve::P521,
                    other => return Err(format!("jwk has unsupported curve {other:?}")),
                };
                let (x, y) = (field("x")?, field("y")?);
                let len = curve.coordinate_len();
                if x.len() != len || y.len() != len {
                    return Err("jwk EC coordinates have the wrong length".into());
                }
                let mut point = Vec::with_capacity(1 + 2 * len);
                point.push(4);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                Ok(PublicKey::Ec { curve, point })
            }
            Some("RSA") => Ok(PublicKey::Rsa {
                n: strip_zeros(&field("n")?),
                e: strip_zeros(&field("e")?),
            }),
            other => Err(format!("jwk has unsupported kty {other:?}")),
        }
    }

    /// Verifies a JWS signature. Like libtrust, the algorithm must fit the key: ES256/384/512
    /// for P-256/384/521 keys, RS256/384/512 for RSA keys; anything else (`none`, `HS*`, …)
    /// is refused.
    pub fn verify(&self, alg: &str, message: &[u8], sig: &[u8]) -> Result<(), String> {
        match self {
            PublicKey::Ec { curve, point } => {
                if alg != curve.jws_alg() {
                    return Err(format!(
                        "algorithm {alg:?} does not fit a {curve:?} key (need {})",
                        curve.jws_alg()
                    ));
                }
                let ring_alg = match curve {
                    Curve::P256 => &signature::ECDSA_P256_SHA256_FIXED,
                    Curve::P384 => &signature::ECDSA_P384_SHA384_FIXED,
                    // ring has no P-521: RustCrypto's p521 verifies ES512.
                    Curve::P521 => return verify_es512(point, message, sig),
                };
                UnparsedPublicKey::new(ring_alg, point)
                    .verify(message, sig)
                    .map_err(|_| "bad signature".to_string())
            }
            PublicKey::Rsa { n, e } => {
                let ring_alg = match alg {
                    "RS256" => &signature::RSA_PKCS1_2048_8192_SHA256,
                    "RS384" => &signature::RSA_PKCS1_2048_8192_SHA384,
                    "RS512" => &signature::RSA_PKCS1_2048_8192_SHA512,
                    other => {
                        return Err(format!("algorithm {other:?} does not fit an RSA key"));
                    }
                };
                RsaPublicKeyComponents { n, e }
                    .verify(ring_alg, message, sig)
                    .map_err(|_| "bad signature".to_string())
            }
        }
    }
}

/// ES512: ECDSA P-521 with SHA-512, signature `r || s` (66 bytes each).
fn verify_es512(point: &[u8], message: &[u8], sig: &[u8]) -> Result<(), String> {
    use p521::ecdsa::signature::Verifier as _;
    let key = p521::ecdsa::VerifyingKey::from_sec1_bytes(point)
        .map_err(|_| "malformed P-521 public key".to_string())?;
    let sig = p521::ecdsa::Signature::from_slice(sig).map_err(|_| "bad signature".to_string())?;
    key.verify(message, &sig)
        .map_err(|_| "bad signature".to_string())
}

/// The libtrust key ID of a DER SubjectPublicKeyInfo: SHA-256, first 240 bits, base32 without
/// padding, in `:`-separated groups of four characters.
pub fn libtrust_key_id(spki_der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, spki_der);
    let b32 = data_encoding::BASE32_NOPAD.encode(&digest.as_ref()[..30]);
    b32.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(":")
}

/// One certificate of `rootcertbundle`.
#[derive(Debug, Clone)]
pub struct BundleKey {
    /// libtrust key ID of the certificate's public key.
    pub kid: String,
    pub key: PublicKey,
}

/// The parsed `rootcertbundle`: trust anchors for `x5c` chains and the keys usable directly
/// through `kid` / `jwk`.
#[derive(Debug)]
pub struct RootBundle {
    anchors: Vec<TrustAnchor<'static>>,
    pub keys: Vec<BundleKey>,
}

impl RootBundle {
    /// Parses PEM text with one or more `CERTIFICATE` blocks (Go's startup errors).
    pub fn from_pem(pem_text: &[u8]) -> Result<RootBundle, String> {
        let blocks = pem::parse_many(pem_text)
            .map_err(|e| format!("failed to parse token auth root certificate: {e}"))?;
        let mut anchors = Vec::new();
        let mut keys = Vec::new();
        for block in blocks.iter().filter(|b| b.tag() == "CERTIFICATE") {
            let der = block.contents();
            let (_, cert) = X509Certificate::from_der(der)
                .map_err(|e| format!("failed to parse token auth root certificate: {e}"))?;
            let key = PublicKey::from_cert(&cert).map_err(|e| {
                format!("unable to get public key from token auth root certificate: {e}")
            })?;
            keys.push(BundleKey {
                kid: libtrust_key_id(cert.public_key().raw),
                key,
            });
            let cder = CertificateDer::from(der.to_vec());
            let anchor = webpki::anchor_from_trusted_cert(&cder)
                .map_err(|e| format!("failed to parse token auth root certificate: {e:?}"))?
                .to_owned();
            anchors.push(anchor);
        }
        if keys.is_empty() {
            return Err("token auth requires at least one token signing root certificate".into());
        }
        Ok(RootBundle { anchors, keys })
    }

    /// The bundle key with this libtrust key ID.
    pub fn key_by_id(&self, kid: &str) -> Option<&PublicKey> {
        self.keys.iter().find(|k| k.kid == kid).map(|k| &k.key)
    }

    /// Whether `key` is the key of a bundle certificate.
    pub fn contains_key(&self, key: &PublicKey) -> bool {
        self.keys.iter().any(|k| &k.key == key)
    }

    /// Validates an `x5c` chain (standard base64 DER, leaf first) up to a bundle certificate,
    /// at the current time, with any extended key usage (Go uses `ExtKeyUsageAny`); returns
    /// the leaf's public key.
    pub fn verify_x5c(&self, x5c: &[Value]) -> Result<PublicKey, String> {
        use base64::Engine as _;
        let ders = x5c
            .iter()
            .map(|v| {
                let s = v.as_str().ok_or("x5c entry is not a string")?;
                base64::engine::general_purpose::STANDARD
                    .decode(s)
                    .map_err(|_| "x5c entry is not base64")
            })
            .collect::<Result<Vec<_>, _>>()?;
        let Some((leaf, rest)) = ders.split_first() else {
            return Err("x5c is empty".into());
        };
        let leaf_der = CertificateDer::from(leaf.as_slice());
        let intermediates: Vec<CertificateDer<'_>> = rest
            .iter()
            .map(|d| CertificateDer::from(d.as_slice()))
            .collect();
        let ee = webpki::EndEntityCert::try_from(&leaf_der)
            .map_err(|e| format!("x5c leaf certificate is malformed: {e:?}"))?;
        ee.verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &self.anchors,
            &intermediates,
            UnixTime::now(),
            AnyUsage,
            None,
            None,
        )
        .map_err(|e| format!("x5c chain does not verify against the root bundle: {e:?}"))?;
        let (_, cert) = X509Certificate::from_der(leaf)
            .map_err(|e| format!("x5c leaf certificate is malformed: {e}"))?;
        PublicKey::from_cert(&cert)
    }
}

/// Accepts every extended key usage (Go verifies token signing chains with `ExtKeyUsageAny`).
struct AnyUsage;

impl webpki::ExtendedKeyUsageValidator for AnyUsage {
    fn validate(&self, _iter: webpki::KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ring's system RNG for p521's signer (the test signs; the server only verifies).
    struct RingRng;

    impl p521::elliptic_curve::rand_core::RngCore for RingRng {
        fn next_u32(&mut self) -> u32 {
            let mut b = [0u8; 4];
            self.fill_bytes(&mut b);
            u32::from_le_bytes(b)
        }
        fn next_u64(&mut self) -> u64 {
            let mut b = [0u8; 8];
            self.fill_bytes(&mut b);
            u64::from_le_bytes(b)
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), dest).unwrap();
        }
        fn try_fill_bytes(
            &mut self,
            dest: &mut [u8],
        ) -> Result<(), p521::elliptic_curve::rand_core::Error> {
            self.fill_bytes(dest);
            Ok(())
        }
    }

    impl p521::elliptic_curve::rand_core::CryptoRng for RingRng {}

    #[test]
    fn es512_with_p521() {
        use p521::ecdsa::signature::hazmat::RandomizedPrehashSigner as _;
        use p521::elliptic_curve::sec1::ToEncodedPoint as _;
        let mut secret = [7u8; 66];
        secret[0] = 0;
        let sk = p521::ecdsa::SigningKey::from_slice(&secret).unwrap();
        let point = p521::PublicKey::from_secret_scalar(sk.as_nonzero_scalar())
            .to_encoded_point(false)
            .as_bytes()
            .to_vec();
        let digest = ring::digest::digest(&ring::digest::SHA512, b"header.claims");
        let sig: p521::ecdsa::Signature = sk
            .sign_prehash_with_rng(&mut RingRng, digest.as_ref())
            .unwrap();
        let key = PublicKey::Ec {
            curve: Curve::P521,
            point: point.clone(),
        };
        let sig = sig.to_bytes();
        assert_eq!(sig.len(), 132);
        key.verify("ES512", b"header.claims", &sig).unwrap();
        assert!(key.verify("ES512", b"header.claimz", &sig).is_err());
        assert!(key.verify("ES256", b"header.claims", &sig).is_err());
        let jwk = serde_json::json!({"kty": "EC", "crv": "P-521",
            "x": base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &point[1..67]),
            "y": base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &point[67..])});
        assert_eq!(PublicKey::from_jwk(&jwk).unwrap(), key);
    }

    #[test]
    fn bundle_errors() {
        assert!(RootBundle::from_pem(b"")
            .unwrap_err()
            .contains("at least one token signing root certificate"));
        assert!(RootBundle::from_pem(
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
        )
        .unwrap_err()
        .contains("failed to parse token auth root certificate"));
    }

    #[test]
    fn libtrust_id_format() {
        let id = libtrust_key_id(b"anything");
        assert_eq!(id.len(), 48 + 11);
        assert_eq!(id.split(':').count(), 12);
        assert!(id
            .chars()
            .all(|c| c == ':' || c.is_ascii_uppercase() || ('2'..='7').contains(&c)));
    }
}

//! X.509 helpers for root validation (spec-server §3.6 step 4, §3.6.1) and for `*-x509` keys.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::data::{serde_util, KeyType, PublicKey};
use crate::error::{CryptoError, TufError};

const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
/// sha1WithRSAEncryption, its obsolete alias, dsa-with-sha1, ecdsa-with-SHA1 (Go
/// `x509.SHA1WithRSA`, `DSAWithSHA1`, `ECDSAWithSHA1`).
const SHA1_SIG_OIDS: [&str; 4] = [
    "1.2.840.113549.1.1.5",
    "1.3.14.3.2.29",
    "1.2.840.10040.4.3",
    "1.2.840.10045.4.1",
];

/// The public-key algorithm of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertKeyAlgorithm {
    /// An elliptic-curve (id-ecPublicKey) key.
    Ecdsa,
    /// An RSA key.
    Rsa {
        /// The modulus size in bits.
        bits: usize,
    },
    /// Any other algorithm, by its dotted OID.
    Other(String),
}

/// A parsed certificate with the facts notary looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    /// The DER bytes (Go `cert.Raw`).
    pub der: Vec<u8>,
    /// basicConstraints cA.
    pub is_ca: bool,
    /// The subject CommonName (last CN attribute, as Go), empty if none.
    pub common_name: String,
    /// Start of the validity period.
    pub not_before: DateTime<Utc>,
    /// End of the validity period.
    pub not_after: DateTime<Utc>,
    /// Dotted OID of the certificate's signature algorithm.
    pub signature_algorithm: String,
    /// The algorithm of the certificate's public key.
    pub key_algorithm: CertKeyAlgorithm,
    /// DER SubjectPublicKeyInfo of the certificate's key.
    pub spki_der: Vec<u8>,
}

impl Certificate {
    /// Parse one DER certificate (trailing bytes are an error, as in Go).
    pub fn from_der(der: &[u8]) -> Result<Certificate, TufError> {
        let (rest, cert) = X509Certificate::from_der(der)
            .map_err(|e| TufError::Certificate(format!("x509: {e}")))?;
        if !rest.is_empty() {
            return Err(TufError::Certificate(
                "x509: trailing data after certificate".to_string(),
            ));
        }
        let common_name = cert
            .subject()
            .iter_common_name()
            .filter_map(|cn| cn.as_str().ok())
            .last()
            .unwrap_or_default()
            .to_string();
        let validity = cert.validity();
        let to_dt = |t: i64| {
            DateTime::<Utc>::from_timestamp(t, 0)
                .ok_or_else(|| TufError::Certificate("x509: time out of range".to_string()))
        };
        let not_before = to_dt(validity.not_before.timestamp())?;
        let not_after = to_dt(validity.not_after.timestamp())?;
        let spki = cert.public_key();
        let key_algorithm = match spki.algorithm.algorithm.to_id_string().as_str() {
            OID_EC_PUBLIC_KEY => CertKeyAlgorithm::Ecdsa,
            OID_RSA => match spki.parsed() {
                Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => CertKeyAlgorithm::Rsa {
                    bits: super::verify::unsigned_bit_len(rsa.modulus),
                },
                _ => {
                    return Err(TufError::Certificate(
                        "x509: invalid RSA public key".to_string(),
                    ))
                }
            },
            other => CertKeyAlgorithm::Other(other.to_string()),
        };
        Ok(Certificate {
            der: der.to_vec(),
            is_ca: cert.is_ca(),
            common_name,
            not_before,
            not_after,
            signature_algorithm: cert.signature_algorithm.algorithm.to_id_string(),
            key_algorithm,
            spki_der: spki.raw.to_vec(),
        })
    }
}

/// The dotted OID of the named curve in an EC key's algorithm parameters (e.g.
/// `1.2.840.10045.3.1.7` for P-256); `None` when the parameters are not an OID.
pub fn ec_curve_oid(spki: &x509_parser::x509::SubjectPublicKeyInfo<'_>) -> Option<String> {
    spki.algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok())
        .map(|o| o.to_id_string())
}

/// Go `utils.LoadCertBundleFromPEM`: every PEM block must be a `CERTIFICATE` that parses;
/// any other block type or a bad certificate is an error, and so is finding none.
pub fn parse_cert_bundle(pem_bytes: &[u8]) -> Result<Vec<Certificate>, TufError> {
    let blocks = pem::parse_many(pem_bytes)
        .map_err(|e| TufError::Certificate(format!("invalid PEM: {e}")))?;
    let mut certs = Vec::with_capacity(blocks.len());
    for block in blocks {
        if block.tag() != "CERTIFICATE" {
            return Err(TufError::Certificate(format!(
                "invalid pem block type: {}",
                block.tag()
            )));
        }
        certs.push(Certificate::from_der(block.contents())?);
    }
    if certs.is_empty() {
        return Err(TufError::Certificate(
            "no valid certificates found".to_string(),
        ));
    }
    Ok(certs)
}

/// Go `utils.LoadCertFromPEM`: the first `CERTIFICATE` block without headers that parses;
/// other blocks are skipped.
pub fn first_certificate(pem_bytes: &[u8]) -> Result<Certificate, TufError> {
    let no_certs = || TufError::Certificate("no certificates found in PEM data".to_string());
    let blocks = pem::parse_many(pem_bytes).map_err(|_| no_certs())?;
    blocks
        .iter()
        .filter(|b| b.tag() == "CERTIFICATE" && b.headers().iter().next().is_none())
        .find_map(|b| Certificate::from_der(b.contents()).ok())
        .ok_or_else(no_certs)
}

/// The contents of the first PEM block, whatever its type (Go `pem.Decode` in the verifiers).
pub fn first_pem_block(pem_bytes: &[u8]) -> Option<Vec<u8>> {
    pem::parse_many(pem_bytes)
        .ok()?
        .into_iter()
        .next()
        .map(|b| b.into_contents())
}

/// The SPKI of the certificate in the first PEM block (Go's ECDSA/RSA verifiers for `*-x509`).
pub(crate) fn first_block_certificate_spki(pem_bytes: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let der = first_pem_block(pem_bytes).ok_or(CryptoError::Invalid)?;
    Certificate::from_der(&der)
        .map(|c| c.spki_der)
        .map_err(|_| CryptoError::Invalid)
}

/// Split a bundle as notary's root handling requires: exactly one non-CA certificate, and it
/// must come first. Returns the leaf and the CA certificates (intermediates) in order.
pub fn split_leaf(certs: Vec<Certificate>) -> Option<(Certificate, Vec<Certificate>)> {
    if certs.iter().filter(|c| !c.is_ca).count() != 1 || certs.first()?.is_ca {
        return None;
    }
    let mut it = certs.into_iter();
    let leaf = it.next()?;
    Some((leaf, it.collect()))
}

/// Go `trustpinning.MatchCNToGun`: exact match, or if the CN ends with `*` the GUN must start
/// with the CN stripped of all trailing `*`.
pub fn cn_matches_gun(common_name: &str, gun: &str) -> bool {
    if common_name.ends_with('*') {
        gun.starts_with(common_name.trim_end_matches('*'))
    } else {
        common_name == gun
    }
}

/// Go `utils.ValidateCertificate`: NotBefore ≤ NotAfter, no SHA-1 signature algorithm, RSA keys
/// of at least 2048 bits, and when `check_expiry` is set: NotBefore ≤ now + 1 day and
/// now ≤ NotAfter.
pub fn validate_certificate(
    cert: &Certificate,
    check_expiry: bool,
    now: DateTime<Utc>,
) -> Result<(), TufError> {
    if cert.not_before > cert.not_after {
        return Err(TufError::Certificate(
            "certificate validity window is invalid".to_string(),
        ));
    }
    if SHA1_SIG_OIDS.contains(&cert.signature_algorithm.as_str()) {
        return Err(TufError::Certificate(format!(
            "certificate with CN {} uses invalid SHA1 signature algorithm",
            cert.common_name
        )));
    }
    if let CertKeyAlgorithm::Rsa { bits } = cert.key_algorithm {
        if bits < 2048 {
            return Err(TufError::Certificate(
                "RSA bit length is too short".to_string(),
            ));
        }
    }
    if check_expiry {
        let tomorrow = now + Duration::days(1);
        if tomorrow < cert.not_before || now > cert.not_after {
            return Err(TufError::Certificate(format!(
                "certificate with CN {} is expired",
                cert.common_name
            )));
        }
    }
    Ok(())
}

/// Standard PEM (`-----BEGIN CERTIFICATE-----\n`, base64 in 64-column lines, `-----END
/// CERTIFICATE-----\n`) of each certificate in order (Go `pem.Encode`). Hand-written because
/// the exact bytes feed a key ID.
pub fn certs_to_pem<'a>(certs: impl IntoIterator<Item = &'a Certificate>) -> Vec<u8> {
    let mut out = Vec::new();
    for cert in certs {
        out.extend_from_slice(b"-----BEGIN CERTIFICATE-----\n");
        let b64 = serde_util::b64_encode(&cert.der);
        for line in b64.as_bytes().chunks(64) {
            out.extend_from_slice(line);
            out.push(b'\n');
        }
        out.extend_from_slice(b"-----END CERTIFICATE-----\n");
    }
    out
}

/// Go `utils.CertBundleToKey` (spec-server §3.6.1): PEM of leaf then intermediates, key type
/// `ecdsa-x509` or `rsa-x509` from the leaf's key algorithm. Other algorithms (e.g. Ed25519
/// certificates) give `None`.
pub fn cert_bundle_to_key(leaf: &Certificate, intermediates: &[Certificate]) -> Option<PublicKey> {
    let keytype = match leaf.key_algorithm {
        CertKeyAlgorithm::Ecdsa => KeyType::EcdsaX509,
        CertKeyAlgorithm::Rsa { .. } => KeyType::RsaX509,
        CertKeyAlgorithm::Other(_) => return None,
    };
    let pem = certs_to_pem(std::iter::once(leaf).chain(intermediates.iter()));
    Some(PublicKey::new(keytype, pem))
}

/// A root-role certificate chain: leaf + CA certificates, as found in one root key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertChain {
    /// The first certificate of the bundle (the signing key's).
    pub leaf: Certificate,
    /// The CA certificates that follow it, in bundle order.
    pub intermediates: Vec<Certificate>,
}

/// Go `trustpinning.parseAllCerts`: for each key ID listed by the root role (`keyids`) that
/// exists in `keys`, parse its public bytes as a certificate bundle (skipping keys that fail)
/// and keep it if it has exactly one non-CA certificate and that certificate is first.
/// The map is keyed by the key's *computed* ID, as Go does.
pub fn root_role_cert_chains(
    keys: &BTreeMap<String, PublicKey>,
    keyids: &[String],
) -> BTreeMap<String, CertChain> {
    let mut out = BTreeMap::new();
    for id in keyids {
        let Some(key) = keys.get(id) else { continue };
        let Ok(certs) = parse_cert_bundle(&key.public) else {
            continue;
        };
        let Some((leaf, intermediates)) = split_leaf(certs) else {
            continue;
        };
        out.insert(
            key.key_id().into_string(),
            CertChain {
                leaf,
                intermediates,
            },
        );
    }
    out
}

/// Go `validRootLeafCerts` + `validRootIntCerts`: keep chains whose leaf CN matches the GUN and
/// whose leaf passes [`validate_certificate`] (`check_expiry` as given). With `check_expiry`
/// (the new root) intermediates are kept only if they pass the same checks; without it (the
/// previous root, rotation check) Go uses all of them unfiltered. Returns `None` when no leaf survives
/// (Go: `no valid leaf certificates found in any of the root keys`).
pub fn valid_root_chains(
    chains: &BTreeMap<String, CertChain>,
    gun: &str,
    check_expiry: bool,
    now: DateTime<Utc>,
) -> Option<BTreeMap<String, CertChain>> {
    let mut out = BTreeMap::new();
    for (id, chain) in chains {
        if !cn_matches_gun(&chain.leaf.common_name, gun) {
            continue;
        }
        if validate_certificate(&chain.leaf, check_expiry, now).is_err() {
            continue;
        }
        let intermediates = chain
            .intermediates
            .iter()
            .filter(|c| !check_expiry || validate_certificate(c, true, now).is_ok())
            .cloned()
            .collect();
        out.insert(
            id.clone(),
            CertChain {
                leaf: chain.leaf.clone(),
                intermediates,
            },
        );
    }
    if out.is_empty() {
        None
    } else {
        Some(out)
    }
}

/// Go `utils.CertsToKeys`: rebuild a key from each chain (§3.6.1), keyed by the rebuilt key's
/// own ID. Use the result as the key set of a [`crate::crypto::RoleKeys`].
pub fn chains_to_keys(chains: &BTreeMap<String, CertChain>) -> BTreeMap<String, PublicKey> {
    chains
        .values()
        .filter_map(|c| cert_bundle_to_key(&c.leaf, &c.intermediates))
        .map(|k| (k.key_id().into_string(), k))
        .collect()
}

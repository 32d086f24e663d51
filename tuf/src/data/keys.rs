//! Public keys and key IDs (spec-server §10.3, spec-signer §6.1–6.3).

use std::fmt;

use ring::digest;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::serde_util::{self, nullable};
use crate::error::TufError;

/// The `keytype` string of a TUF key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyType {
    /// `ed25519`: the raw 32-byte key.
    Ed25519,
    /// `ecdsa`: a DER SubjectPublicKeyInfo.
    Ecdsa,
    /// `rsa`: a DER SubjectPublicKeyInfo.
    Rsa,
    /// `ecdsa-x509`: a PEM certificate (bundle) with an ECDSA key.
    EcdsaX509,
    /// `rsa-x509`: a PEM certificate (bundle) with an RSA key.
    RsaX509,
    /// Any other string: carried through unchanged, never verifies a signature.
    Other(String),
}

impl KeyType {
    /// The `keytype` string as written in metadata.
    pub fn as_str(&self) -> &str {
        match self {
            KeyType::Ed25519 => "ed25519",
            KeyType::Ecdsa => "ecdsa",
            KeyType::Rsa => "rsa",
            KeyType::EcdsaX509 => "ecdsa-x509",
            KeyType::RsaX509 => "rsa-x509",
            KeyType::Other(s) => s,
        }
    }

    /// Exact (case-sensitive) match, as Go's `typedPublicKey`.
    pub fn parse(s: &str) -> KeyType {
        match s {
            "ed25519" => KeyType::Ed25519,
            "ecdsa" => KeyType::Ecdsa,
            "rsa" => KeyType::Rsa,
            "ecdsa-x509" => KeyType::EcdsaX509,
            "rsa-x509" => KeyType::RsaX509,
            other => KeyType::Other(other.to_string()),
        }
    }

    /// Whether the public bytes are a PEM certificate (`ecdsa-x509`, `rsa-x509`).
    pub fn is_x509(&self) -> bool {
        matches!(self, KeyType::EcdsaX509 | KeyType::RsaX509)
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for KeyType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for KeyType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s: String = nullable(d)?;
        Ok(KeyType::parse(&s))
    }
}

/// A TUF key ID: lower-case hex SHA-256 of the key's canonical JSON.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KeyId(String);

impl KeyId {
    /// The hex ID.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The hex ID, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for KeyId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for KeyId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for KeyId {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

/// A public key as it appears in metadata:
/// `{"keytype":"<type>","keyval":{"private":null,"public":"<base64>"}}`.
/// A `private` value on input is ignored (Go keeps only the public part).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PublicKey {
    /// `keytype`: how to read `public`.
    pub keytype: KeyType,
    /// The raw public bytes (DER SPKI, raw ed25519 key, or PEM certificate text).
    pub public: Vec<u8>,
}

impl PublicKey {
    /// A key of type `keytype` with the raw public bytes `public`.
    pub fn new(keytype: KeyType, public: Vec<u8>) -> Self {
        PublicKey { keytype, public }
    }

    /// The canonical JSON the key ID is computed over:
    /// `{"keytype":T,"keyval":{"private":null,"public":B64}}`.
    pub fn canonical_json(&self) -> Vec<u8> {
        // Built directly: the member order is fixed and sorted, and only the key type string
        // needs escaping (base64 never does).
        let mut out = Vec::with_capacity(64 + self.public.len() * 4 / 3);
        out.extend_from_slice(b"{\"keytype\":\"");
        for &b in self.keytype.as_str().as_bytes() {
            match b {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                _ => out.push(b),
            }
        }
        out.extend_from_slice(b"\",\"keyval\":{\"private\":null,\"public\":\"");
        out.extend_from_slice(serde_util::b64_encode(&self.public).as_bytes());
        out.extend_from_slice(b"\"}}");
        out
    }

    /// The TUF key ID (spec-server §10.3).
    pub fn key_id(&self) -> KeyId {
        let d = digest::digest(&digest::SHA256, &self.canonical_json());
        KeyId(hex::encode(d.as_ref()))
    }

    /// The canonical key ID: for `*-x509` keys the ID of the plain `ecdsa`/`rsa` key whose
    /// public bytes are the DER SubjectPublicKeyInfo of the first certificate (Go
    /// `utils.CanonicalKeyID` / `X509PublicKeyID`); for other keys the key ID itself.
    pub fn canonical_key_id(&self) -> Result<KeyId, TufError> {
        match self.keytype {
            KeyType::EcdsaX509 | KeyType::RsaX509 => {
                let cert = crate::crypto::x509::first_certificate(&self.public)?;
                let plain = match self.keytype {
                    KeyType::EcdsaX509 => KeyType::Ecdsa,
                    _ => KeyType::Rsa,
                };
                Ok(PublicKey::new(plain, cert.spki_der.clone()).key_id())
            }
            _ => Ok(self.key_id()),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct KeyWire {
    #[serde(default)]
    keytype: KeyType,
    #[serde(default, deserialize_with = "nullable")]
    keyval: KeyValWire,
}

#[derive(Default, Serialize, Deserialize)]
struct KeyValWire {
    #[serde(default, with = "serde_util::b64")]
    public: Vec<u8>,
    /// Decoded (so bad base64 fails as in Go) but never kept; always written as `null`.
    #[serde(
        default,
        deserialize_with = "serde_util::b64::deserialize",
        serialize_with = "null"
    )]
    private: Vec<u8>,
}

fn null<S: Serializer>(_: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_none()
}

impl Default for KeyType {
    fn default() -> Self {
        KeyType::Other(String::new())
    }
}

impl Serialize for PublicKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        KeyWire {
            keytype: self.keytype.clone(),
            keyval: KeyValWire {
                public: self.public.clone(),
                private: Vec::new(),
            },
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for PublicKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = KeyWire::deserialize(d)?;
        Ok(PublicKey {
            keytype: w.keytype,
            public: w.keyval.public,
        })
    }
}

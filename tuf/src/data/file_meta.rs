//! File metadata: length + hashes (+ optional custom JSON) (spec-server §10.4).

use std::collections::BTreeMap;

use ring::digest;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::serde_util::{self, nullable};
use crate::error::TufError;

/// The `hashes` member name of a SHA-256 digest.
pub const SHA256: &str = "sha256";
/// The `hashes` member name of a SHA-512 digest.
pub const SHA512: &str = "sha512";

/// `{"custom":<optional>,"hashes":{"sha256":b64,...},"length":n}`.
///
/// Unlike the role objects, unknown members are dropped (as Go does): file meta is copied from
/// an old snapshot into a generated one, which must carry exactly these members.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FileMeta {
    /// The file's size in bytes.
    #[serde(default, deserialize_with = "nullable")]
    pub length: i64,
    /// Algorithm name → raw digest (base64 in JSON).
    #[serde(default, with = "serde_util::b64_map")]
    pub hashes: BTreeMap<String, Vec<u8>>,
    /// Custom JSON; `null` or absent is `None` (omitted on output). Note: Go writes its raw
    /// bytes unsorted (compacted, HTML-escaped) when marshalling a struct, while
    /// [`crate::cjson::to_canonical`] sorts it; the server never re-serialises targets, and
    /// signatures are always checked over the generic re-canonicalisation, where both agree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<Value>,
}

impl FileMeta {
    /// Length, sha256 and sha512 over exactly `bytes`; no custom data (what the server writes).
    pub fn from_bytes(bytes: &[u8]) -> FileMeta {
        let mut hashes = BTreeMap::new();
        hashes.insert(
            SHA256.to_string(),
            digest::digest(&digest::SHA256, bytes).as_ref().to_vec(),
        );
        hashes.insert(
            SHA512.to_string(),
            digest::digest(&digest::SHA512, bytes).as_ref().to_vec(),
        );
        FileMeta {
            length: bytes.len() as i64,
            hashes,
            custom: None,
        }
    }

    /// Go `data.CheckHashes(bytes, role_name, hashes)`: every supported hash present must
    /// match (`<alg> checksum for <role> did not match: expected <hex>`), and at least one
    /// supported hash must be present (`no checksums for supported algorithms were provided
    /// for <role>`). Unsupported algorithms are ignored. Length is not checked here.
    pub fn verify_hashes(&self, bytes: &[u8], role_name: &str) -> Result<(), TufError> {
        let mut count = 0;
        for (alg, expected) in &self.hashes {
            let algorithm = match alg.as_str() {
                SHA256 => &digest::SHA256,
                SHA512 => &digest::SHA512,
                _ => continue,
            };
            let actual = digest::digest(algorithm, bytes);
            // Digests of public metadata: no secret, a plain comparison is fine.
            if actual.as_ref() != expected.as_slice() {
                return Err(TufError::ChecksumMismatch {
                    alg: alg.clone(),
                    name: role_name.to_string(),
                    expected: hex::encode(expected),
                });
            }
            count += 1;
        }
        if count == 0 {
            return Err(TufError::MissingMeta {
                role: role_name.to_string(),
            });
        }
        Ok(())
    }

    /// Go `data.CheckValidHashStructures`: supported hashes must have the right length
    /// (`<alg> checksum invalid`), and at least one supported hash must be present.
    pub fn check_hash_structure(&self) -> Result<(), TufError> {
        let mut count = 0;
        for (alg, value) in &self.hashes {
            let want = match alg.as_str() {
                SHA256 => 32,
                SHA512 => 64,
                _ => continue,
            };
            if value.len() != want {
                return Err(TufError::InvalidChecksum { alg: alg.clone() });
            }
            count += 1;
        }
        if count == 0 {
            return Err(TufError::InvalidMetadata {
                role: String::new(),
                msg: "at least one supported hash needed".to_string(),
            });
        }
        Ok(())
    }

    /// The sha256 digest, if present.
    pub fn sha256(&self) -> Option<&[u8]> {
        self.hashes.get(SHA256).map(Vec::as_slice)
    }
}

//! A stored metadata file as the service hands it out.

use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use ring::digest;

use crate::storage::StoredFile;

/// Exact bytes of a metadata file, their checksum and when they were stored. Cloning is cheap
/// (reference-counted bytes), so cached files are handed out without copying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// The file, byte for byte as published or generated.
    pub bytes: Bytes,
    /// Lower-case hex SHA-256 of `bytes` (shared: a cached file is handed out without copying).
    pub sha256_hex: Arc<str>,
    /// When the row was written.
    pub modified: DateTime<Utc>,
}

impl File {
    /// `bytes` stored at `modified`.
    pub fn new(bytes: Bytes, modified: DateTime<Utc>) -> File {
        File {
            sha256_hex: hex::encode(digest::digest(&digest::SHA256, &bytes)).into(),
            bytes,
            modified,
        }
    }

    /// A stored row. Its `sha256` column is the checksum when it is well-formed (rows are
    /// found by that column, so it is trusted as much as the chain); the bytes are hashed only
    /// for rows without one.
    pub fn from_row(f: StoredFile) -> File {
        let modified = DateTime::from_naive_utc_and_offset(f.created_at, Utc);
        match f.sha256 {
            Some(sha) if is_sha256_hex(&sha) => File {
                bytes: Bytes::from(f.data),
                sha256_hex: sha.into(),
                modified,
            },
            _ => File::new(Bytes::from(f.data), modified),
        }
    }
}

/// 64 lower-case hex digits.
fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(sha256: Option<&str>) -> StoredFile {
        StoredFile {
            id: 1,
            version: 1,
            created_at: DateTime::UNIX_EPOCH.naive_utc(),
            sha256: sha256.map(str::to_string),
            data: b"abc".to_vec(),
        }
    }

    #[test]
    fn the_stored_checksum_is_used_and_computed_when_missing() {
        let computed = File::new(Bytes::from_static(b"abc"), DateTime::UNIX_EPOCH).sha256_hex;
        let stored = "f".repeat(64);
        assert_eq!(
            &*File::from_row(row(Some(&stored))).sha256_hex,
            stored.as_str()
        );
        for unusable in [None, Some(""), Some("ABC"), Some(&*"F".repeat(64))] {
            assert_eq!(
                File::from_row(row(unusable)).sha256_hex,
                computed,
                "{unusable:?}"
            );
        }
    }
}

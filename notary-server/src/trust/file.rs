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

    /// A stored row.
    pub fn from_row(f: StoredFile) -> File {
        File::new(
            Bytes::from(f.data),
            DateTime::from_naive_utc_and_offset(f.created_at, Utc),
        )
    }
}

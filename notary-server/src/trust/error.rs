//! What can go wrong in the trust service, by what the client should be told. The HTTP layer
//! maps each variant to a status and Go error code in one place (`crate::http::error`).

use notary_tuf::validation::ValidationError;

use crate::storage::StoreError;

/// Errors of [`super::TrustService`] operations.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    /// No such repository, role, version or checksum.
    #[error("metadata not found")]
    NotFound,
    /// The update is invalid: the typed validation error (with or without detail).
    #[error("invalid update: {}", .0.msg())]
    InvalidUpdate(ValidationError),
    /// A newer version of some role is already stored (a concurrent publish won).
    #[error("a newer version of metadata is already available")]
    OldVersion,
    /// The signing service cannot be reached; nothing is wrong with the request.
    #[error("signer unavailable: {0}")]
    SignerUnavailable(String),
    /// Writing the update failed (nothing was written).
    #[error("writing the update failed: {0}")]
    WriteFailed(String),
    /// Anything else: corrupt stored metadata, a database or signer failure on a read.
    #[error("internal error: {0}")]
    Internal(String),
}

impl TrustError {
    /// [`TrustError::Internal`] from any displayable cause (logged by the HTTP layer).
    pub fn internal(e: impl std::fmt::Display) -> TrustError {
        TrustError::Internal(e.to_string())
    }

    /// `INVALID_UPDATE` without detail (a failure that is not the upload's fault, as Go).
    pub fn invalid_no_detail(e: impl std::fmt::Display) -> TrustError {
        TrustError::InvalidUpdate(ValidationError::NoDetail { msg: e.to_string() })
    }
}

impl From<StoreError> for TrustError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => TrustError::NotFound,
            StoreError::OldVersion => TrustError::OldVersion,
            other => TrustError::Internal(other.to_string()),
        }
    }
}

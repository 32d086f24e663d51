//! Signer errors and their one mapping to gRPC status (codes and messages of Go Notary,
//! spec-signer §2 and §9.9).

use tonic::{Code, Status};

/// An RPC failure.
#[derive(Debug, thiserror::Error)]
pub enum SignerError {
    /// CreateKey with an algorithm other than `ecdsa`/`ed25519` (Go: plain error → UNKNOWN).
    #[error("algorithm {0} not supported for create key")]
    UnsupportedAlgorithm(String),
    /// CreateKey failed in the key store (passphrase, database, RNG).
    #[error("Key creation failed")]
    CreateFailed,
    /// GetKeyInfo: key absent, deleted, undecryptable or database error.
    #[error("key {0} not found")]
    KeyNotFound(String),
    /// Sign: key absent, deleted, undecryptable or database error.
    #[error("signing key not found: {0}")]
    SigningKeyNotFound(String),
    /// Sign: the key could not produce a signature.
    #[error("Signing failed for KeyID {0}")]
    SigningFailed(String),
    /// DeleteKey: the database refused the soft delete.
    #[error("Key deletion for KeyID {0} failed")]
    DeleteFailed(String),
}

impl From<SignerError> for Status {
    fn from(err: SignerError) -> Self {
        let code = match &err {
            SignerError::UnsupportedAlgorithm(_) => Code::Unknown,
            SignerError::CreateFailed
            | SignerError::SigningFailed(_)
            | SignerError::DeleteFailed(_) => Code::Internal,
            SignerError::KeyNotFound(_) | SignerError::SigningKeyNotFound(_) => Code::NotFound,
        };
        Status::new(code, err.to_string())
    }
}

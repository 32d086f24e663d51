//! The crate's error type. Message texts are the Go notary strings (spec-server Appendix A),
//! because they end up verbatim in `INVALID_UPDATE` detail messages.

use crate::cjson::CjsonError;

/// Errors from parsing, checking and verifying TUF metadata.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TufError {
    /// The bytes are not JSON of the expected shape (the server's `MALFORMED_JSON`).
    #[error("malformed JSON: {0}")]
    MalformedJson(String),

    /// The envelope has no (or a `null`) `signed` member. Go panics here; we refuse.
    #[error("signed data is missing")]
    MissingSigned,

    /// Structure checks of a role object (`ErrInvalidMetadata`).
    #[error("{role} type metadata invalid: {msg}")]
    InvalidMetadata {
        /// The role type whose object failed the check (`root`, `targets`, ...).
        role: String,
        /// What is wrong, in Go's words.
        msg: String,
    },

    /// `tuf: data has no signatures` (`ErrNoSignatures`).
    #[error("tuf: data has no signatures")]
    NoSignatures,

    /// `ErrRoleThreshold`: without a role name when the threshold itself is < 1, with the role
    /// name when too few distinct keys signed.
    #[error("{}", threshold_message(.role))]
    RoleThreshold {
        /// The role that lacks signatures; `None` when its threshold itself is below 1.
        role: Option<String>,
    },

    /// A role's key for a signature's `keyid` hashes to another ID (`ErrInvalidKeyID`).
    #[error("key ID is not valid for key content")]
    InvalidKeyId,

    /// `ErrLowVersion`.
    #[error("version {actual} is lower than current version {current}")]
    LowVersion {
        /// The version of the rejected metadata.
        actual: i64,
        /// The version it had to reach.
        current: i64,
    },

    /// `ErrExpired`; `expired` is already formatted (see [`crate::cjson::format_go_date`]).
    #[error("{role} expired at {expired}")]
    Expired {
        /// The expired role.
        role: String,
        /// Its `expires` time, formatted as Go prints it.
        expired: String,
    },

    /// `ErrMismatchedChecksum`; `expected` is the hex of the expected digest.
    #[error("{alg} checksum for {name} did not match: expected {expected}")]
    ChecksumMismatch {
        /// The hash algorithm (`sha256`, `sha512`).
        alg: String,
        /// The file (role) whose content was hashed.
        name: String,
        /// Hex of the expected digest.
        expected: String,
    },

    /// `ErrMissingMeta`: no supported hash algorithm present.
    #[error("no checksums for supported algorithms were provided for {role}")]
    MissingMeta {
        /// The role whose file meta has no usable hash.
        role: String,
    },

    /// `ErrInvalidChecksum`: a supported hash has the wrong length.
    #[error("{alg} checksum invalid")]
    InvalidChecksum {
        /// The hash algorithm whose digest has the wrong length.
        alg: String,
    },

    /// Canonical JSON could not be produced (fractional number, bad time, ...).
    #[error(transparent)]
    Cjson(#[from] CjsonError),

    /// Certificate / PEM problems (x509 helpers).
    #[error("{0}")]
    Certificate(String),

    /// A role name that is not valid (`ErrInvalidRole` style message).
    #[error("{0} is an invalid role")]
    InvalidRole(String),
}

fn threshold_message(role: &Option<String>) -> String {
    match role {
        Some(r) => format!("valid signatures did not meet threshold for {r}"),
        None => "valid signatures did not meet threshold".to_string(),
    }
}

impl From<serde_json::Error> for TufError {
    fn from(e: serde_json::Error) -> Self {
        TufError::MalformedJson(e.to_string())
    }
}

/// Errors from single-signature verification and from signing. Verification failures are
/// normally swallowed by the threshold check (a bad signature simply does not count).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// `key type is not valid for signature`
    #[error("key type is not valid for signature")]
    InvalidKeyType,
    /// `key length is not supported: ...`
    #[error("key length is not supported: {0}")]
    InvalidKeyLength(String),
    /// `tuf: signature verification failed`
    #[error("tuf: signature verification failed")]
    Invalid,
    /// Unknown signature method.
    #[error("tuf: invalid signature type")]
    WrongMethod,
    /// The private key could not be loaded or used.
    #[error("invalid private key: {0}")]
    BadPrivateKey(String),
    /// Key material could not be parsed.
    #[error("invalid public key: {0}")]
    BadPublicKey(String),
}

//! Where the server's timestamp and snapshot keys live: a remote notary-signer over mTLS gRPC
//! ([`remote::RemoteSigner`]) or in this process ([`local::LocalSigner`]), behind one trait.

pub mod local;
pub mod remote;

use async_trait::async_trait;
use base64::Engine as _;

/// A public key as the signer reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignerKey {
    /// `ecdsa`, `ed25519` or `rsa`.
    pub keytype: String,
    /// DER SPKI (ecdsa, rsa) or raw 32 bytes (ed25519).
    pub public: Vec<u8>,
}

impl SignerKey {
    /// Base64 of the public bytes.
    pub fn public_b64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.public)
    }

    /// TUF key ID (spec-server §10.3): notary-tuf's, over the canonical public key.
    pub fn key_id(&self) -> String {
        use notary_tuf::data::{KeyType, PublicKey};
        PublicKey::new(KeyType::parse(&self.keytype), self.public.clone())
            .key_id()
            .into_string()
    }

    /// The `GET …/timestamp.key` response body (spec-server §5.4; Go field order).
    pub fn to_json(&self) -> String {
        format!(
            "{{\"keytype\":{},\"keyval\":{{\"public\":\"{}\",\"private\":null}}}}",
            serde_json::Value::String(self.keytype.clone()),
            self.public_b64()
        )
    }
}

/// Signer failures, by what the caller must do about them.
#[derive(Debug, thiserror::Error)]
pub enum SignerError {
    /// The signer does not hold this key.
    #[error("signing key not found: {0}")]
    NotFound(String),
    /// The signer cannot be reached (connection refused, TLS failure, deadline).
    #[error("signer unavailable: {0}")]
    Unavailable(String),
    /// The signer answered with an error.
    #[error("signer error: {0}")]
    Rpc(String),
    /// The signer cannot create keys of this algorithm.
    #[error("algorithm {0} not supported for create key")]
    Algorithm(String),
}

/// What a new server key is for (notary-signer's `CreateKeyRequest`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyRequest<'a> {
    /// `timestamp` or `snapshot`.
    pub role: &'a str,
    /// The repository.
    pub gun: &'a str,
    /// `ecdsa`, `ed25519` or `rsa`.
    pub algorithm: &'a str,
}

/// The operations the server needs from a signing service.
#[async_trait]
pub trait CryptoService: Send + Sync {
    /// Creates (or returns the pending, never-used) key for (gun, role, algorithm).
    async fn create_key(&self, req: KeyRequest<'_>) -> Result<SignerKey, SignerError>;

    /// The public key for a key ID, `None` if the signer does not hold it.
    async fn public_key(&self, key_id: &str) -> Result<Option<SignerKey>, SignerError>;

    /// Signs `msg` with the key (ECDSA: raw r‖s over SHA-256; ed25519: pure).
    async fn sign(&self, key_id: &str, msg: &[u8]) -> Result<Vec<u8>, SignerError>;

    /// Deletes the key (idempotent: deleting an unknown key is not an error). Used by
    /// `notary-server admin reset-gun`.
    async fn delete_key(&self, key_id: &str) -> Result<(), SignerError>;

    /// `Ok` when the signer answers its health checks.
    async fn check_health(&self) -> Result<(), String>;
}

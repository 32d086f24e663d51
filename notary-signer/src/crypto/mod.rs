//! Key generation, private-key formats and signing (ring), byte-compatible with Go Notary.

pub mod der;
pub mod jwe;
mod keys;

pub use keys::{key_id, KeyAlgorithm, KeyError, NewKeyPair, SigningKey};

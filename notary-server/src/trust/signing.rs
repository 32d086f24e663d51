//! Signing what notary-tuf asks to sign ([`ToSign`]) with the keys the signer holds, and
//! letting notary-tuf check the threshold and assemble the file (spec-server §10.7).

use std::time::Instant;

use notary_tuf::data::Signature;
use notary_tuf::validation::{MetaFile, ToSign, ValidationError};

use super::TrustService;
use crate::signer::SignerError;

/// Why a [`ToSign`] could not be turned into a file.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// Fewer keys than the threshold (or a bad signature): the typed validation error.
    #[error("{}", .0.msg())]
    Validation(ValidationError),
    /// The signer failed.
    #[error(transparent)]
    Signer(#[from] SignerError),
}

impl TrustService {
    /// Signs with every key of the role the signer holds (looked up by canonical key ID).
    pub async fn sign(&self, ts: &ToSign) -> Result<MetaFile, SignError> {
        let mut sigs = Vec::new();
        for (keyid, key) in &ts.keys.keys {
            let Ok(canonical_id) = key.canonical_key_id() else {
                continue;
            };
            let Some(method) = notary_tuf::crypto::method_for(&key.keytype) else {
                continue;
            };
            let started = Instant::now();
            let res = self.signer.sign(canonical_id.as_str(), &ts.canonical).await;
            self.metrics.observe_signer(started.elapsed());
            match res {
                Ok(sig) => sigs.push(Signature {
                    keyid: keyid.clone(),
                    method: method.to_string(),
                    sig,
                }),
                Err(SignerError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        ts.finish(&sigs).map_err(SignError::Validation)
    }
}

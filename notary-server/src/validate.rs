//! The bridge to notary-tuf's pure validation pipeline (spec-server §3.5–3.11, §4.3): signing
//! its [`ToSign`] requests through our signer and mapping its errors to the Go envelope.

use std::time::Instant;

use chrono::{DateTime, Utc};
use notary_tuf::data::Signature;
use notary_tuf::validation::{MetaFile, ToSign, ValidationError};

use crate::app::AppState;
use crate::config::Expiry;
use crate::error::{ApiError, ErrorCode};
use crate::signer::SignerError;

pub use notary_tuf::validation::{StoredRepo, Upload};

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

/// `INVALID_UPDATE` with the typed detail, or without detail for non-validation failures.
pub fn invalid_update(e: &ValidationError) -> ApiError {
    if e.name().is_none() {
        tracing::warn!(error = %e.msg(), "update rejected (no detail)");
    }
    ApiError {
        code: ErrorCode::InvalidUpdate,
        detail: e.detail_json(),
    }
}

/// Applies a configured lifetime other than the spec default to generated metadata (our own
/// `server.*_expiry_seconds` keys): `expires` is rewritten and the object re-canonicalised.
pub fn with_lifetime(
    mut ts: ToSign,
    expiry: &Expiry,
    now: DateTime<Utc>,
) -> Result<ToSign, ValidationError> {
    let defaults = Expiry::default();
    let lifetime = match ts.role.as_str() {
        "timestamp" if expiry.timestamp != defaults.timestamp => expiry.timestamp,
        "snapshot" if expiry.snapshot != defaults.snapshot => expiry.snapshot,
        _ => return Ok(ts),
    };
    let mut v: serde_json::Value = serde_json::from_slice(&ts.canonical)
        .map_err(|e| ValidationError::Validation { msg: e.to_string() })?;
    v["expires"] = serde_json::Value::String(notary_tuf::cjson::format_time(&(now + lifetime)));
    ts.canonical = notary_tuf::cjson::to_canonical(&v)
        .map_err(|e| ValidationError::Validation { msg: e.to_string() })?;
    Ok(ts)
}

/// Signs with every key of the role the signer holds (looked up by canonical key ID) and lets
/// notary-tuf check the threshold and assemble the bytes (spec-server §10.7).
pub async fn sign(state: &AppState, ts: &ToSign) -> Result<MetaFile, SignError> {
    let mut sigs = Vec::new();
    for (keyid, key) in &ts.keys.keys {
        let Ok(canonical_id) = key.canonical_key_id() else {
            continue;
        };
        let Some(method) = notary_tuf::crypto::method_for(&key.keytype) else {
            continue;
        };
        let started = Instant::now();
        let res = state
            .signer
            .sign(canonical_id.as_str(), &ts.canonical)
            .await;
        state.metrics.observe_signer(started.elapsed());
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

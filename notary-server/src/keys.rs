//! `GET|POST /v2/<gun>/_trust/tuf/{timestamp|snapshot}.key` (spec-server §5).

use crate::app::AppState;
use crate::error::{ApiError, ErrorCode};
use crate::metadata;
use crate::signer::SignerKey;

fn unknown(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "key endpoint failed");
    ApiError::with_detail(ErrorCode::Unknown, serde_json::json!({}))
}

/// Returns the key the current root names for `role` if the signer holds it, else creates
/// (or hands out the pending) key.
pub async fn get_or_create(state: &AppState, gun: &str, role: &str) -> Result<SignerKey, ApiError> {
    match crate::current::role(state, gun, "root").await {
        Ok(root) => {
            let (keys, _) = metadata::root_role_keys(&root.bytes, role).map_err(unknown)?;
            for k in &keys.keys {
                if let Some(found) = state.signer.public_key(&k.id).await.map_err(unknown)? {
                    return Ok(found);
                }
            }
        }
        Err(e) if e.code == ErrorCode::MetadataNotFound => {}
        Err(e) => return Err(e),
    }
    create(state, gun, role).await
}

/// Always asks the signer for a new (or the pending) key; nothing in storage changes.
pub async fn rotate(state: &AppState, gun: &str, role: &str) -> Result<SignerKey, ApiError> {
    create(state, gun, role).await
}

async fn create(state: &AppState, gun: &str, role: &str) -> Result<SignerKey, ApiError> {
    state
        .signer
        .create_key(role, gun, &state.key_algorithm)
        .await
        .map_err(unknown)
}

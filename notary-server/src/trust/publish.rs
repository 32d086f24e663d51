//! The atomic update (spec-server §3.5–3.11): validate the uploads against the current state
//! (notary-tuf), sign the snapshot (when server-managed) and the timestamp, and write
//! everything in one transaction. Every signer call finishes before the transaction starts; a
//! failure anywhere leaves storage unchanged.

use std::sync::atomic::Ordering;

use notary_tuf::data::RoleName;
use notary_tuf::validation::{self, Moment, SnapshotPlan, StoredRepo, Upload, ValidationError};

use super::chain::ChainError;
use super::signing::SignError;
use super::{TrustError, TrustService};
use crate::gun::Gun;
use crate::signer::SignerError;
use crate::storage::StoreError;

impl TrustService {
    /// Validates and stores an update made of `uploads` (one per role; the HTTP layer keeps
    /// the last of duplicates). Returns the new timestamp version.
    pub async fn publish(&self, gun: &Gun, uploads: Vec<Upload>) -> Result<i64, TrustError> {
        let stored = self.stored_repo(gun, &uploads).await?;
        let at = Moment {
            now: self.now(),
            lifetimes: self.settings.lifetimes,
        };
        let plan = validation::validate_update(gun.as_str(), &stored, uploads, at)
            .map_err(TrustError::InvalidUpdate)?;

        let snapshot = match &plan.snapshot {
            SnapshotPlan::Uploaded(f) => f.clone(),
            SnapshotPlan::Generate(ts) => self.sign(ts).await.map_err(sign_error)?,
        };
        let tts = plan
            .timestamp_to_sign(&snapshot.bytes, at.now)
            .map_err(TrustError::InvalidUpdate)?;
        let timestamp = self.sign(&tts).await.map_err(sign_error)?;
        let ts_version = timestamp.version;

        let files = super::rows(plan.writes(snapshot, timestamp)).map_err(|v| {
            TrustError::InvalidUpdate(ValidationError::Validation {
                msg: format!("version {v} is out of range"),
            })
        })?;

        let res = self.store.update_many(gun.as_str(), files).await;
        self.cache.remove(gun.as_str());
        match res {
            Ok(()) => {
                self.metrics.publishes.fetch_add(1, Ordering::Relaxed);
                tracing::info!(gun = %gun, timestamp_version = ts_version, "published");
                Ok(ts_version)
            }
            Err(StoreError::OldVersion) => Err(TrustError::OldVersion),
            Err(e) => Err(TrustError::WriteFailed(e.to_string())),
        }
    }

    /// The GUN's current files that validation may need: timestamp → snapshot → root and the
    /// stored ancestors of uploaded delegations, each at the checksum the snapshot lists. A
    /// read failure or corrupt stored metadata is `INVALID_UPDATE` without detail, as in Go.
    async fn stored_repo(&self, gun: &Gun, uploads: &[Upload]) -> Result<StoredRepo, TrustError> {
        let mut roles = vec!["root".to_string()];
        roles.extend(
            validation::stored_targets_needed(uploads)
                .into_iter()
                .map(|r| r.as_str().to_string()),
        );
        let chain = match self.chain(gun, roles).await {
            Ok(c) => c,
            Err(ChainError::NoTimestamp) => return Ok(StoredRepo::default()),
            Err(e) => {
                tracing::error!(gun = %gun, error = %e, "cannot read current metadata");
                return Err(TrustError::invalid_no_detail(e));
            }
        };
        let mut stored = StoredRepo {
            timestamp: Some(chain.timestamp.row.data),
            ..StoredRepo::default()
        };
        let Some(snap) = chain.snapshot else {
            return Ok(stored);
        };
        stored.snapshot = Some(snap.row.data);
        for (role, f) in chain.roles {
            match role.parse::<RoleName>() {
                Ok(RoleName::Root) => stored.root = Some(f.data),
                Ok(r) => {
                    stored.targets.insert(r, f.data);
                }
                Err(_) => {}
            }
        }
        Ok(stored)
    }
}

/// Missing keys are the typed validation errors (spec-server §3.10 step 6, §3.11 step 5); an
/// unreachable signer is [`TrustError::SignerUnavailable`] (503); any other signer failure is
/// the server's, not the upload's: a 500 (Go answers `ErrValidation`, a 400, which tells the
/// client to change an upload that is fine).
fn sign_error(e: SignError) -> TrustError {
    match e {
        SignError::Validation(v) => TrustError::InvalidUpdate(v),
        SignError::Signer(SignerError::Unavailable(msg)) => TrustError::SignerUnavailable(msg),
        SignError::Signer(other) => TrustError::Internal(other.to_string()),
    }
}

//! `POST /v2/<gun>/_trust/tuf/` (spec-server §3): parse the parts, validate against the
//! current state (notary-tuf), sign the snapshot (when server-managed) and the timestamp, and
//! write everything in one transaction. Every network call finishes before the transaction
//! starts; a failure anywhere leaves storage unchanged.

use std::sync::atomic::Ordering;

use chrono::Utc;

use notary_tuf::data::RoleName;
use notary_tuf::validation::{self, SnapshotPlan};

use crate::app::AppState;
use crate::error::{ApiError, ErrorCode};
use crate::metadata;
use crate::multipart::{self, MultipartError};
use crate::signer::SignerError;
use crate::storage::{NewFile, StoreError};
use crate::validate::{self, SignError, StoredRepo, Upload};

/// Runs a publish.
pub async fn publish(
    state: &AppState,
    gun: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<(), ApiError> {
    let uploads = parse_uploads(content_type, body, state.limits.max_parts)?;
    let stored = load_stored(state, gun, &uploads).await?;
    let now = Utc::now();
    let plan = validation::validate_update(gun, &stored, uploads, now)
        .map_err(|e| validate::invalid_update(&e))?;

    let snapshot = match &plan.snapshot {
        SnapshotPlan::Uploaded(f) => f.clone(),
        SnapshotPlan::Generate(ts) => {
            let ts = validate::with_lifetime(ts.clone(), &state.expiry, now)
                .map_err(|e| validate::invalid_update(&e))?;
            validate::sign(state, &ts).await.map_err(sign_error)?
        }
    };
    let tts = plan
        .timestamp_to_sign(&snapshot.bytes, now)
        .and_then(|t| validate::with_lifetime(t, &state.expiry, now))
        .map_err(|e| validate::invalid_update(&e))?;
    let timestamp = validate::sign(state, &tts).await.map_err(sign_error)?;
    let ts_version = timestamp.version;

    let mut files = Vec::new();
    for f in plan.writes(snapshot, timestamp) {
        files.push(NewFile {
            role: f.role.as_str().to_string(),
            version: to_i32(f.version)?,
            data: f.bytes,
        });
    }

    let res = state.store.update_many(gun, files).await;
    state.cache.remove(gun);
    match res {
        Ok(()) => {
            state.metrics.publishes.fetch_add(1, Ordering::Relaxed);
            tracing::info!(gun, timestamp_version = ts_version, "published");
            Ok(())
        }
        Err(StoreError::OldVersion) => Err(ApiError::with_detail(
            ErrorCode::Version,
            serde_json::json!({}),
        )),
        Err(e) => {
            tracing::error!(gun, error = %e, "publish write failed");
            Err(ApiError::new(ErrorCode::Updating))
        }
    }
}

fn to_i32(v: i64) -> Result<i32, ApiError> {
    i32::try_from(v).map_err(|_| {
        ApiError::invalid_update(
            "ErrValidation",
            &format!("version {v} is out of range"),
            None,
        )
    })
}

/// Missing keys are the typed validation errors (spec-server §3.10 step 6, §3.11 step 5); an
/// unreachable signer is a 503 (nothing is wrong with the upload); other signer errors are
/// `ErrValidation` as in Go.
fn sign_error(e: SignError) -> ApiError {
    match e {
        SignError::Validation(v) => validate::invalid_update(&v),
        SignError::Signer(SignerError::Unavailable(msg)) => {
            tracing::error!(error = %msg, "signer unavailable during publish");
            ApiError::with_detail(
                ErrorCode::Unavailable,
                serde_json::Value::String("the signing service is unavailable".into()),
            )
        }
        SignError::Signer(other) => {
            ApiError::invalid_update("ErrValidation", &other.to_string(), None)
        }
    }
}

/// Multipart → uploads (last duplicate wins), with the handler's error mapping (§3.2).
fn parse_uploads(
    content_type: Option<&str>,
    body: &[u8],
    max_parts: usize,
) -> Result<Vec<Upload>, ApiError> {
    let boundary =
        multipart::boundary(content_type).map_err(|_| ApiError::new(ErrorCode::MalformedUpload))?;
    let parts = multipart::parse(body, &boundary, max_parts).map_err(|e| match e {
        MultipartError::Malformed => ApiError::new(ErrorCode::MalformedUpload),
        MultipartError::NoFilename => ApiError::new(ErrorCode::NoFilename),
        MultipartError::TooManyParts(n) => ApiError::with_detail(
            ErrorCode::MalformedUpload,
            serde_json::Value::String(format!("more than {n} parts")),
        ),
    })?;
    let mut uploads: Vec<Upload> = Vec::new();
    for part in parts {
        let Ok(role) = part.name.parse::<RoleName>() else {
            return Err(ApiError::with_detail(
                ErrorCode::InvalidRole,
                serde_json::Value::String(part.name),
            ));
        };
        if multipart::envelope_version(&part.body).is_none() {
            return Err(ApiError::new(ErrorCode::MalformedJson));
        }
        uploads.retain(|u| u.role != role);
        uploads.push(Upload {
            role,
            bytes: part.body,
        });
    }
    Ok(uploads)
}

/// The GUN's current files: timestamp → snapshot → root and the targets roles validation may
/// need, each by the checksum the snapshot lists.
async fn load_stored(
    state: &AppState,
    gun: &str,
    uploads: &[Upload],
) -> Result<StoredRepo, ApiError> {
    let no_detail = |e: StoreError| {
        tracing::error!(gun, error = %e, "cannot read current metadata");
        ApiError::new(ErrorCode::InvalidUpdate)
    };
    let mut stored = StoredRepo::default();
    let mut roles = vec!["root".to_string()];
    roles.extend(
        validation::stored_targets_needed(uploads)
            .into_iter()
            .map(|r| r.as_str().to_string()),
    );
    let rows = match state
        .store
        .current_chain(
            gun,
            roles,
            |ts| metadata::parse_timestamp(ts).ok()?.snapshot_sha256_hex(),
            |snap, role| {
                metadata::parse_snapshot(snap)
                    .ok()?
                    .role_sha256
                    .get(role)
                    .cloned()
            },
        )
        .await
    {
        Ok(rows) => rows,
        Err(StoreError::NotFound) => return Ok(stored),
        Err(e) => return Err(no_detail(e)),
    };
    // Unparsable stored metadata is a non-validation failure (no detail).
    let ts_info = metadata::parse_timestamp(&rows.timestamp.data)
        .map_err(|_| ApiError::new(ErrorCode::InvalidUpdate))?;
    if ts_info.snapshot_sha256_hex().is_none() {
        return Err(ApiError::new(ErrorCode::InvalidUpdate));
    }
    stored.timestamp = Some(rows.timestamp.data);
    let Some(snap) = rows.snapshot else {
        return Ok(stored);
    };
    metadata::parse_snapshot(&snap.data).map_err(|_| ApiError::new(ErrorCode::InvalidUpdate))?;
    stored.snapshot = Some(snap.data);
    for (role, f) in rows.roles {
        if role == "root" {
            stored.root = Some(f.data);
        } else if let Ok(r) = role.parse::<RoleName>() {
            stored.targets.insert(r, f.data);
        }
    }
    Ok(stored)
}

//! The publish body (spec-server §3.2–3.3): multipart parts → one [`Upload`] per role, with
//! the Go handler's error for each way a body can be wrong.

use notary_tuf::data::{RoleName, SignedMeta};
use notary_tuf::validation::Upload;
use serde_json::json;

use super::error::{ApiError, ErrorCode};
use super::multipart;

/// Multipart → uploads (the last part of a role wins): `MALFORMED_UPLOAD` for a broken
/// stream, `NO_FILENAME`, `INVALID_ROLE` with the name, `MALFORMED_JSON` for a part that does
/// not decode as an envelope ([`SignedMeta::parse`]).
pub fn uploads(
    content_type: Option<&str>,
    body: &[u8],
    max_parts: usize,
) -> Result<Vec<Upload>, ApiError> {
    let boundary =
        multipart::boundary(content_type).map_err(|_| ApiError::new(ErrorCode::MalformedUpload))?;
    let parts = multipart::parse(body, &boundary, max_parts)?;
    let mut uploads: Vec<Upload> = Vec::new();
    for part in parts {
        let Ok(role) = part.name.parse::<RoleName>() else {
            return Err(ApiError::with_detail(
                ErrorCode::InvalidRole,
                json!(part.name),
            ));
        };
        if SignedMeta::parse(&part.body).is_err() {
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

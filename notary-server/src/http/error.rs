//! The error-code table of spec-server §2 and the one place where errors become HTTP responses:
//! [`TrustError`], [`GunError`], upload errors and the 401 of token auth all get their status,
//! Go code and envelope here.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::{json, Value};

use super::multipart::MultipartError;
use crate::gun::GunError;
use crate::trust::TrustError;

/// The Go `errcode` values notary-server emits (spec-server §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    NoFilename,
    InvalidRole,
    MalformedJson,
    Updating,
    Version,
    MetadataNotFound,
    InvalidUpdate,
    MalformedUpload,
    GenericNotFound,
    NoKeyAlgorithm,
    InvalidGun,
    InvalidParameters,
    Unknown,
    Unavailable,
    /// A method no route takes (docker/distribution's generic code; Go answers an empty 405).
    Unsupported,
    /// Our addition: request body above the configured limit.
    TooLarge,
}

impl ErrorCode {
    /// The `code` string.
    pub fn value(self) -> &'static str {
        match self {
            ErrorCode::NoFilename => "NO_FILENAME",
            ErrorCode::InvalidRole => "INVALID_ROLE",
            ErrorCode::MalformedJson => "MALFORMED_JSON",
            ErrorCode::Updating => "UPDATING",
            ErrorCode::Version => "VERSION",
            ErrorCode::MetadataNotFound => "METADATA_NOT_FOUND",
            ErrorCode::InvalidUpdate => "INVALID_UPDATE",
            ErrorCode::MalformedUpload => "MALFORMED_UPLOAD",
            ErrorCode::GenericNotFound => "GENERIC_NOT_FOUND",
            ErrorCode::NoKeyAlgorithm => "NO_KEYALGORITHM",
            ErrorCode::InvalidGun => "INVALID_GUN",
            ErrorCode::InvalidParameters => "INVALID_PARAMETERS",
            ErrorCode::Unknown => "UNKNOWN",
            ErrorCode::Unavailable => "UNAVAILABLE",
            ErrorCode::Unsupported => "UNSUPPORTED",
            ErrorCode::TooLarge => "MALFORMED_UPLOAD",
        }
    }

    /// The exact Go message.
    pub fn message(self) -> &'static str {
        match self {
            ErrorCode::NoFilename => "No file/role name provided.",
            ErrorCode::InvalidRole => "The role you are attempting to operate on is invalid.",
            ErrorCode::MalformedJson => "JSON sent by the client could not be parsed by the server",
            ErrorCode::Updating => "An error has occurred while updating the TUF repository.",
            ErrorCode::Version => "A newer version of metadata is already available.",
            ErrorCode::MetadataNotFound => "You have requested metadata that does not exist.",
            ErrorCode::InvalidUpdate => "Update sent by the client is invalid.",
            ErrorCode::MalformedUpload => "The body of your request is malformed.",
            ErrorCode::GenericNotFound => "You have requested a resource that does not exist.",
            ErrorCode::NoKeyAlgorithm => "The server does not have a key algorithm configured.",
            ErrorCode::InvalidGun => "The server does not support actions on images of this name.",
            ErrorCode::InvalidParameters => "The parameters provided are not valid.",
            ErrorCode::Unknown => "unknown error",
            ErrorCode::Unavailable => "service unavailable",
            ErrorCode::Unsupported => "The operation is unsupported.",
            ErrorCode::TooLarge => "The body of your request is malformed.",
        }
    }

    /// The HTTP status.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::NoFilename
            | ErrorCode::InvalidRole
            | ErrorCode::MalformedJson
            | ErrorCode::Version
            | ErrorCode::InvalidUpdate
            | ErrorCode::MalformedUpload
            | ErrorCode::InvalidGun
            | ErrorCode::InvalidParameters => StatusCode::BAD_REQUEST,
            ErrorCode::MetadataNotFound | ErrorCode::GenericNotFound => StatusCode::NOT_FOUND,
            ErrorCode::Updating | ErrorCode::NoKeyAlgorithm | ErrorCode::Unknown => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Unsupported => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        }
    }
}

/// An error returned by a handler: a code plus the optional `detail`.
#[derive(Debug, thiserror::Error)]
#[error("{}: {}", code.value(), code.message())]
pub struct ApiError {
    pub code: ErrorCode,
    /// Pre-serialized JSON of `detail` (field order matters, so it is rendered by serde structs).
    pub detail: Option<String>,
}

impl ApiError {
    pub fn new(code: ErrorCode) -> Self {
        ApiError { code, detail: None }
    }

    pub fn with_detail(code: ErrorCode, detail: Value) -> Self {
        ApiError {
            code,
            detail: Some(detail.to_string()),
        }
    }

    /// 404 with the `{}` detail storage not-found errors carry.
    pub fn not_found() -> Self {
        ApiError::with_detail(ErrorCode::MetadataNotFound, json!({}))
    }

    /// The envelope bytes (see [`envelope`]).
    pub fn body(&self) -> String {
        envelope(
            self.code.value(),
            self.code.message(),
            self.detail.as_deref(),
        )
    }

    /// The answer to a GUN the policy refuses: for a publish `INVALID_GUN` with the reason, for
    /// reads of a GUN outside the prefixes `METADATA_NOT_FOUND` (spec-server §8.5).
    pub fn from_gun(e: &GunError, publishing: bool) -> Self {
        match e {
            GunError::TooLong(_) | GunError::ControlCharacter => {
                ApiError::with_detail(ErrorCode::InvalidGun, json!(e.to_string()))
            }
            GunError::PrefixNotAllowed(_) if publishing => {
                ApiError::with_detail(ErrorCode::InvalidGun, json!(e.to_string()))
            }
            GunError::PrefixNotAllowed(_) | GunError::Invalid => {
                ApiError::new(ErrorCode::MetadataNotFound)
            }
        }
    }
}

/// A Go error envelope, byte for byte as Go's `json.Encoder` writes it (HTML-escaped, trailing
/// newline): `{"errors":[{"code":…,"message":…[,"detail":…]}]}`. `detail` is JSON text.
pub fn envelope(code: &str, message: &str, detail: Option<&str>) -> String {
    let detail = match detail {
        Some(d) => format!(",\"detail\":{d}"),
        None => String::new(),
    };
    let s = format!(
        "{{\"errors\":[{{\"code\":{},\"message\":{}{detail}}}]}}",
        Value::String(code.into()),
        Value::String(message.into()),
    );
    let mut s = notary_tuf::cjson::go_html_escape(&s);
    s.push('\n');
    s
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut resp = HttpResponse::build(self.code.status());
        resp.content_type("application/json; charset=utf-8");
        // Every 503 is temporary (signer unreachable, publish slots busy): say when to retry.
        if self.code == ErrorCode::Unavailable {
            resp.insert_header((actix_web::http::header::RETRY_AFTER, "1"));
        }
        resp.body(self.body())
    }
}

impl From<MultipartError> for ApiError {
    fn from(e: MultipartError) -> Self {
        match e {
            MultipartError::Malformed => ApiError::new(ErrorCode::MalformedUpload),
            MultipartError::NoFilename => ApiError::new(ErrorCode::NoFilename),
            MultipartError::TooManyParts(n) => ApiError::with_detail(
                ErrorCode::MalformedUpload,
                json!(format!("more than {n} parts")),
            ),
        }
    }
}

impl From<TrustError> for ApiError {
    fn from(e: TrustError) -> Self {
        match e {
            TrustError::NotFound => ApiError::not_found(),
            TrustError::OldVersion => ApiError::with_detail(ErrorCode::Version, json!({})),
            TrustError::InvalidUpdate(v) => {
                if v.name().is_none() {
                    tracing::warn!(error = %v.msg(), "update rejected (no detail)");
                }
                ApiError {
                    code: ErrorCode::InvalidUpdate,
                    detail: v.detail_json(),
                }
            }
            TrustError::SignerUnavailable(msg) => {
                tracing::error!(error = %msg, "signer unavailable");
                ApiError::with_detail(
                    ErrorCode::Unavailable,
                    json!("the signing service is unavailable"),
                )
            }
            TrustError::WriteFailed(msg) => {
                tracing::error!(error = %msg, "publish write failed");
                ApiError::new(ErrorCode::Updating)
            }
            TrustError::Internal(msg) => {
                tracing::error!(error = %msg, "request failed");
                ApiError::with_detail(ErrorCode::Unknown, json!({}))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_matches_go_bytes() {
        let e = ApiError::from(TrustError::InvalidUpdate(
            notary_tuf::validation::ValidationError::no_snapshot_key(),
        ));
        assert_eq!(
            e.body(),
            "{\"errors\":[{\"code\":\"INVALID_UPDATE\",\"message\":\"Update sent by the client is invalid.\",\"detail\":{\"Name\":\"ErrBadHierarchy\",\"Error\":{\"Missing\":\"snapshot\",\"Msg\":\"no snapshot was included in update and server does not hold current snapshot key for repository\"}}}]}\n"
        );
        let e = ApiError::with_detail(ErrorCode::InvalidRole, json!("a<b"));
        assert!(e.body().contains("\"detail\":\"a\\u003cb\""));
        assert_eq!(
            ApiError::new(ErrorCode::MetadataNotFound).body(),
            "{\"errors\":[{\"code\":\"METADATA_NOT_FOUND\",\"message\":\"You have requested metadata that does not exist.\"}]}\n"
        );
    }
}

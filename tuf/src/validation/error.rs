//! The typed validation errors of Go's `tuf/validation/errors.go` (spec-server §2.3) and the
//! `detail` object the server renders for them.

use serde::Serialize;

use crate::error::TufError;

/// A failed update validation.
///
/// The first five variants are Go's typed errors and become the `detail` of an
/// `INVALID_UPDATE` response (see [`ValidationError::detail`]). [`ValidationError::NoDetail`]
/// is every other failure (corrupt *stored* metadata, a stored root or parent that no longer
/// loads, ...): still `INVALID_UPDATE`, but rendered without `detail`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    /// Go `ErrValidation`.
    #[error("An error occurred during validation: {msg}")]
    Validation {
        /// What failed.
        msg: String,
    },
    /// Go `ErrBadHierarchy` (`missing` is the missing role, always `snapshot` in practice).
    #[error("Metadata hierarchy is incomplete: {msg}")]
    BadHierarchy {
        /// The role whose metadata is missing.
        missing: String,
        /// What failed.
        msg: String,
    },
    /// Go `ErrBadRoot`.
    #[error("The root metadata is invalid: {msg}")]
    BadRoot {
        /// What is wrong with the root.
        msg: String,
    },
    /// Go `ErrBadTargets`.
    #[error("The targets metadata is invalid: {msg}")]
    BadTargets {
        /// What is wrong with the targets (or delegation) metadata.
        msg: String,
    },
    /// Go `ErrBadSnapshot`.
    #[error("The snapshot metadata is invalid: {msg}")]
    BadSnapshot {
        /// What is wrong with the snapshot.
        msg: String,
    },
    /// Any other failure: `INVALID_UPDATE` without `detail` (on the read path: 500).
    #[error("{msg}")]
    NoDetail {
        /// What failed.
        msg: String,
    },
}

/// Message of the missing-snapshot-key error (spec-server §3.10 step 6).
pub const MSG_NO_SNAPSHOT_KEY: &str =
    "no snapshot was included in update and server does not hold current snapshot key for repository";
/// Message of the missing-timestamp-key error, with the double space of Go notary v0.7.0
/// (spec-server §3.11 step 5, Appendix A).
pub const MSG_NO_TIMESTAMP_KEY: &str = "no  timestamp keys exist on the server";
/// Message when neither a stored nor an uploaded root exists (spec-server §3.5 step 3).
pub const MSG_NO_ROOT: &str = "no pre-existing root and no root provided in update.";

impl ValidationError {
    pub(crate) fn validation(msg: impl ToString) -> Self {
        ValidationError::Validation {
            msg: msg.to_string(),
        }
    }
    pub(crate) fn bad_root(msg: impl ToString) -> Self {
        ValidationError::BadRoot {
            msg: msg.to_string(),
        }
    }
    pub(crate) fn bad_targets(msg: impl ToString) -> Self {
        ValidationError::BadTargets {
            msg: msg.to_string(),
        }
    }
    pub(crate) fn bad_snapshot(msg: impl ToString) -> Self {
        ValidationError::BadSnapshot {
            msg: msg.to_string(),
        }
    }
    pub(crate) fn no_detail(msg: impl ToString) -> Self {
        ValidationError::NoDetail {
            msg: msg.to_string(),
        }
    }

    /// `ErrBadHierarchy{Missing: "snapshot", ...}`: the server cannot sign the snapshot.
    pub fn no_snapshot_key() -> Self {
        ValidationError::BadHierarchy {
            missing: "snapshot".to_string(),
            msg: MSG_NO_SNAPSHOT_KEY.to_string(),
        }
    }

    /// `ErrBadRoot{"no  timestamp keys exist on the server"}`: the server cannot sign the
    /// timestamp.
    pub fn no_timestamp_key() -> Self {
        ValidationError::bad_root(MSG_NO_TIMESTAMP_KEY)
    }

    /// The Go type name (`ErrValidation`, ...) or `None` for [`ValidationError::NoDetail`].
    pub fn name(&self) -> Option<&'static str> {
        match self {
            ValidationError::Validation { .. } => Some("ErrValidation"),
            ValidationError::BadHierarchy { .. } => Some("ErrBadHierarchy"),
            ValidationError::BadRoot { .. } => Some("ErrBadRoot"),
            ValidationError::BadTargets { .. } => Some("ErrBadTargets"),
            ValidationError::BadSnapshot { .. } => Some("ErrBadSnapshot"),
            ValidationError::NoDetail { .. } => None,
        }
    }

    /// The `Msg` text (for [`ValidationError::NoDetail`], the underlying error text).
    pub fn msg(&self) -> &str {
        match self {
            ValidationError::Validation { msg }
            | ValidationError::BadHierarchy { msg, .. }
            | ValidationError::BadRoot { msg }
            | ValidationError::BadTargets { msg }
            | ValidationError::BadSnapshot { msg }
            | ValidationError::NoDetail { msg } => msg,
        }
    }

    /// The `Missing` field of `ErrBadHierarchy`.
    pub fn missing(&self) -> Option<&str> {
        match self {
            ValidationError::BadHierarchy { missing, .. } => Some(missing),
            _ => None,
        }
    }

    /// The `detail` value: `{"Name":…,"Error":{"Missing"?:…,"Msg":…}}` with members in that
    /// order when serialised; `None` for [`ValidationError::NoDetail`] (omit `detail`).
    pub fn detail(&self) -> Option<ValidationDetail<'_>> {
        Some(ValidationDetail {
            name: self.name()?,
            error: DetailError {
                missing: self.missing(),
                msg: self.msg(),
            },
        })
    }

    /// [`ValidationError::detail`] as JSON text the way Go's `encoding/json` writes it
    /// (HTML-escaped `<`, `>`, `&`, U+2028, U+2029), ready to embed in the error envelope.
    pub fn detail_json(&self) -> Option<String> {
        let detail = self.detail()?;
        let plain = serde_json::to_string(&detail).ok()?;
        Some(crate::cjson::go_html_escape(&plain))
    }
}

/// Serialisable `detail` object (member order `Name`, `Error`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidationDetail<'a> {
    /// Go's error type name, e.g. `ErrBadRoot`.
    #[serde(rename = "Name")]
    pub name: &'static str,
    /// The error's fields.
    #[serde(rename = "Error")]
    pub error: DetailError<'a>,
}

/// The `Error` member: `{"Missing":…,"Msg":…}` for `ErrBadHierarchy`, `{"Msg":…}` otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DetailError<'a> {
    /// The missing role (`ErrBadHierarchy` only).
    #[serde(rename = "Missing", skip_serializing_if = "Option::is_none")]
    pub missing: Option<&'a str>,
    /// The error message.
    #[serde(rename = "Msg")]
    pub msg: &'a str,
}

impl From<TufError> for ValidationError {
    /// A crate error outside one of the typed cases: no detail.
    fn from(e: TufError) -> Self {
        ValidationError::no_detail(e)
    }
}

//! The common metadata checks with Go's messages (spec-server §3.6 steps 2, 8, 9; Appendix A).

use chrono::{DateTime, Utc};

use crate::cjson;
use crate::error::TufError;

/// `_type` must be exactly `expected` (`Root`, `Targets`, `Snapshot`, `Timestamp`), else
/// `<role> type metadata invalid: expected type <expected>, not <actual>`.
pub fn check_type(role: &str, expected: &str, actual: &str) -> Result<(), TufError> {
    if actual == expected {
        Ok(())
    } else {
        Err(TufError::InvalidMetadata {
            role: role.to_string(),
            msg: format!("expected type {expected}, not {actual}"),
        })
    }
}

/// `version <v> is lower than current version <min>` when `version < min`.
pub fn check_version(version: i64, min: i64) -> Result<(), TufError> {
    if version < min {
        Err(TufError::LowVersion {
            actual: version,
            current: min,
        })
    } else {
        Ok(())
    }
}

/// `<role> expired at <Mon Jan 2 15:04:05 UTC 2006>` when `expires` is strictly before `now`
/// (no grace period on the server).
pub fn check_expiry(
    role: &str,
    expires: &DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), TufError> {
    if *expires < now {
        Err(TufError::Expired {
            role: role.to_string(),
            expired: cjson::format_go_date(expires),
        })
    } else {
        Ok(())
    }
}

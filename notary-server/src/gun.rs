//! Globally unique names (GUNs) of repositories, parsed once at the edge.
//!
//! Everything past the HTTP edge takes a [`Gun`], so nothing downstream re-checks the rules:
//! at most [`GunPolicy::max_len`] bytes (the Go schema's column is `varchar(255)`), no `*`
//! (the Go router's `[^*]+`), no control characters (a NUL or newline in a name is never a
//! repository, and must not reach the database or text logs), not empty, and one of
//! `repositories.gun_prefixes` when that list is configured.

use std::fmt;
use std::sync::Arc;

/// A repository name that passed the server's [`GunPolicy`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Gun(Arc<str>);

impl Gun {
    /// The name as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Gun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Gun {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Why a name is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GunError {
    /// Empty, or contains `*`.
    #[error("invalid GUN")]
    Invalid,
    /// Contains a control character (NUL, newline, …).
    #[error("GUN contains a control character")]
    ControlCharacter,
    /// Longer than the limit.
    #[error("GUN is longer than {0} bytes")]
    TooLong(usize),
    /// None of the configured prefixes matches.
    #[error("Require GUNs with prefix: [{}]", .0.join(" "))]
    PrefixNotAllowed(Vec<String>),
}

/// The rules a GUN must meet on this server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GunPolicy {
    /// Longest accepted GUN in bytes.
    pub max_len: usize,
    /// `repositories.gun_prefixes`; empty accepts every GUN.
    pub prefixes: Vec<String>,
}

impl Default for GunPolicy {
    fn default() -> Self {
        GunPolicy {
            max_len: 255,
            prefixes: Vec::new(),
        }
    }
}

impl GunPolicy {
    /// Checks `name` against the policy.
    pub fn parse(&self, name: &str) -> Result<Gun, GunError> {
        if name.is_empty() || name.contains('*') {
            return Err(GunError::Invalid);
        }
        if name.chars().any(char::is_control) {
            return Err(GunError::ControlCharacter);
        }
        if name.len() > self.max_len {
            return Err(GunError::TooLong(self.max_len));
        }
        if !self.prefixes.is_empty() && !self.prefixes.iter().any(|p| name.starts_with(p)) {
            return Err(GunError::PrefixNotAllowed(self.prefixes.clone()));
        }
        Ok(Gun(name.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        let open = GunPolicy::default();
        assert_eq!(
            open.parse("docker.io/a/b").unwrap().as_str(),
            "docker.io/a/b"
        );
        assert_eq!(open.parse(""), Err(GunError::Invalid));
        assert_eq!(open.parse("a*b"), Err(GunError::Invalid));
        for bad in ["a\0b", "a\nb", "a\rb", "a\u{7f}", "a\u{85}b"] {
            assert_eq!(open.parse(bad), Err(GunError::ControlCharacter), "{bad:?}");
        }
        assert!(open.parse(&"x".repeat(255)).is_ok());
        assert_eq!(open.parse(&"x".repeat(256)), Err(GunError::TooLong(255)));
        let prefixed = GunPolicy {
            max_len: 255,
            prefixes: vec!["docker.io/".into(), "quay.io/".into()],
        };
        assert!(prefixed.parse("quay.io/x").is_ok());
        let err = prefixed.parse("ghcr.io/x").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Require GUNs with prefix: [docker.io/ quay.io/]"
        );
    }
}

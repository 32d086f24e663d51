//! Role names (spec-server §3.4).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::TufError;

/// A delegation role name, e.g. `targets/releases`: valid per `ValidRole` (§3.4.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DelegationName(String);

impl DelegationName {
    /// Check a delegation name: starts with `targets/`, only `[-a-z0-9_/]`, shorter than 256
    /// bytes, and path-clean (no empty segment, no trailing `/`; `.` cannot occur at all).
    pub fn new(name: &str) -> Result<Self, TufError> {
        if is_delegation(name) {
            Ok(DelegationName(name.to_string()))
        } else {
            Err(TufError::InvalidRole(name.to_string()))
        }
    }

    /// The name, e.g. `targets/releases`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// True if `name` is a syntactically valid delegation role name (Go `data.IsDelegation`).
pub fn is_delegation(name: &str) -> bool {
    name.starts_with("targets/")
        && name.len() < 256
        && name
            .bytes()
            .all(|b| matches!(b, b'-' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'/'))
        // path.Clean(name) == name: the charset excludes `.`, the prefix excludes a leading
        // `/`, so only empty segments and a trailing slash remain to check.
        && !name.contains("//")
        && !name.ends_with('/')
}

/// A TUF role name in the notary dialect.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RoleName {
    /// `root`.
    Root,
    /// `targets`.
    Targets,
    /// `snapshot`.
    Snapshot,
    /// `timestamp`.
    Timestamp,
    /// A delegation of `targets`, e.g. `targets/releases`.
    Delegation(DelegationName),
}

impl RoleName {
    /// The role name as written in metadata and URLs.
    pub fn as_str(&self) -> &str {
        match self {
            RoleName::Root => "root",
            RoleName::Targets => "targets",
            RoleName::Snapshot => "snapshot",
            RoleName::Timestamp => "timestamp",
            RoleName::Delegation(d) => d.as_str(),
        }
    }

    /// Whether this is a delegation (`targets/...`).
    pub fn is_delegation(&self) -> bool {
        matches!(self, RoleName::Delegation(_))
    }

    /// `targets` or a delegation (the roles stored as `Targets` metadata).
    pub fn is_targets_like(&self) -> bool {
        matches!(self, RoleName::Targets | RoleName::Delegation(_))
    }

    /// The parent of a delegation (`targets/a/b` → `targets/a`, `targets/a` → `targets`);
    /// `None` for the four base roles.
    pub fn parent(&self) -> Option<RoleName> {
        match self {
            RoleName::Delegation(d) => {
                let s = d.as_str();
                let parent = &s[..s.rfind('/')?];
                if parent == "targets" {
                    Some(RoleName::Targets)
                } else {
                    DelegationName::new(parent).ok().map(RoleName::Delegation)
                }
            }
            _ => None,
        }
    }

    /// The chain of ancestors from `targets` down to the direct parent (empty for base roles).
    pub fn ancestors(&self) -> Vec<RoleName> {
        let mut out = Vec::new();
        let mut cur = self.parent();
        while let Some(p) = cur {
            cur = p.parent();
            out.push(p);
        }
        out.reverse();
        out
    }

    /// The `_type` string the role's metadata must carry.
    pub fn tuf_type(&self) -> &'static str {
        match self {
            RoleName::Root => "Root",
            RoleName::Targets | RoleName::Delegation(_) => "Targets",
            RoleName::Snapshot => "Snapshot",
            RoleName::Timestamp => "Timestamp",
        }
    }

    fn depth(&self) -> usize {
        self.as_str().split('/').count()
    }
}

impl FromStr for RoleName {
    type Err = TufError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "root" => RoleName::Root,
            "targets" => RoleName::Targets,
            "snapshot" => RoleName::Snapshot,
            "timestamp" => RoleName::Timestamp,
            other => RoleName::Delegation(DelegationName::new(other)?),
        })
    }
}

impl fmt::Display for RoleName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Ord for RoleName {
    /// Byte-wise order of the name (so `BTreeMap<RoleName, _>` iterates like Go's sorted keys).
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().as_bytes().cmp(other.as_str().as_bytes())
    }
}

impl PartialOrd for RoleName {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Serialize for RoleName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RoleName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Sort targets roles for loading (Go `utils.RoleList`): fewer `/`-separated segments first,
/// equal depth by byte-wise name.
pub fn sort_targets_roles(roles: &mut [RoleName]) {
    roles.sort_by(|a, b| a.depth().cmp(&b.depth()).then_with(|| a.cmp(b)));
}

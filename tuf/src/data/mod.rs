//! The notary-dialect TUF data model (spec-server §10). Parsing follows Go `encoding/json`:
//! missing or `null` members are zero values, unknown members are kept (`extra`), duplicate
//! members resolve to the last one, member names match exactly (see the crate docs).

pub mod checks;
mod file_meta;
mod keys;
mod role_name;
mod root;
pub mod serde_util;
mod signed;
mod snapshot;
mod targets;

pub use file_meta::{FileMeta, SHA256, SHA512};
pub use keys::{KeyId, KeyType, PublicKey};
pub use role_name::{is_delegation, sort_targets_roles, DelegationName, RoleName};
pub use root::{Root, RootRole};
pub use signed::{Envelope, Signature, SignedCommon, SignedFile, SignedMeta};
pub use snapshot::{Snapshot, Timestamp};
pub use targets::{DelegationRole, Delegations, Targets};

//! The notary-dialect TUF data model (spec-server §10). Parsing follows Go `encoding/json`:
//! missing or `null` members are zero values, unknown members are kept (`extra`), duplicate
//! members resolve to the last one, member names match exactly (see the crate docs).

/// Defines the `signed` object of a role file. Every role object has `_type`, `expires` and
/// `version`, and keeps its unknown members in `extra` (so re-serialising is lossless); the
/// macro adds those around the role's own members, which are listed in two groups, those whose
/// names sort before `expires` and those after, so the fields stay in member-name order. All
/// members decode as Go does: missing or `null` is the zero value.
macro_rules! role_object {
    (
        $(#[$attr:meta])*
        pub struct $name:ident = $type_name:literal {
            $($(#[$before_attr:meta])* pub $before:ident: $before_ty:ty,)*
            expires,
            $($(#[$after_attr:meta])* pub $after:ident: $after_ty:ty,)*
        }
    ) => {
        $(#[$attr])*
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        pub struct $name {
            #[doc = concat!("`_type`: `", $type_name, "` in valid metadata.")]
            #[serde(rename = "_type", default, deserialize_with = "crate::data::serde_util::nullable")]
            pub type_: String,
            $(
                $(#[$before_attr])*
                #[serde(default, deserialize_with = "crate::data::serde_util::nullable")]
                pub $before: $before_ty,
            )*
            /// `expires`; Go's zero time when missing.
            #[serde(default = "crate::cjson::zero_time", with = "crate::data::serde_util::time")]
            pub expires: ::chrono::DateTime<::chrono::Utc>,
            $(
                $(#[$after_attr])*
                #[serde(default, deserialize_with = "crate::data::serde_util::nullable")]
                pub $after: $after_ty,
            )*
            /// `version`.
            #[serde(default, deserialize_with = "crate::data::serde_util::nullable")]
            pub version: i64,
            /// Unknown members, kept so re-serialising is lossless.
            #[serde(flatten)]
            pub extra: ::std::collections::BTreeMap<String, ::serde_json::Value>,
        }

        impl $name {
            /// The `_type` of valid metadata of this role.
            pub const TYPE: &'static str = $type_name;
        }
    };
}

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

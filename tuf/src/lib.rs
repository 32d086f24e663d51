//! Notary-dialect TUF metadata: the data model, Go-compatible canonical JSON, key IDs,
//! signature verification and signing primitives, and the X.509 rules for root keys.
//!
//! Pure: no I/O, no async, no clock (`now` is always a parameter).
//!
//! # Changes against the agreed API contract
//!
//! * `crypto::verify_signatures` returns `Result<BTreeSet<String>, TufError>` (the key IDs
//!   that produced a valid signature) instead of `Result<(), _>`; `?` works the same.
//! * `crypto::method_for` returns `Option<&'static str>` (`None` for unknown key types).
//! * `crypto::sign_ecdsa_p256` / `sign_ed25519` take a PKCS#8 key and return a complete
//!   [`data::Signature`] (keyid = TUF ID of the key's public half).
//! * X.509 helpers live in `crypto::x509` (`Certificate`, `parse_cert_bundle`, `split_leaf`,
//!   `cn_matches_gun`, `validate_certificate`, `cert_bundle_to_key`, `root_role_cert_chains`,
//!   `valid_root_chains`, `chains_to_keys`).
//! * Single-signature errors are a separate [`error::CryptoError`]; they never escape
//!   `verify_signatures` (a bad signature simply does not count).
//! * Extra: `data::SignedMeta` (the lenient handler-side decode of spec-server §3.3),
//!   `data::checks::{check_type, check_version, check_expiry}` (Go messages),
//!   `cjson::{parse_time, zero_time, format_go_date}`, `Snapshot::new`, `Timestamp::new`,
//!   `RoleName::{ancestors, tuf_type}`, `crypto::RoleKeys::from_ids`,
//!   `crypto::{ecdsa_p256_public_key, ed25519_public_key, p256_spki_from_point}`.
//! * `data::FileMeta` drops unknown members (as Go does), so file meta copied from an old
//!   snapshot into a generated one carries exactly `custom`/`hashes`/`length`. The role objects
//!   (`Root`, `RootRole`, `Targets`, `Delegations`, `DelegationRole`, `Snapshot`, `Timestamp`)
//!   keep unknown members in `extra`; clear it (or use `Snapshot::new` / `Timestamp::new`)
//!   when generating metadata.
//!
//! # Where decoding differs from Go's `encoding/json`
//!
//! * Member names match exactly; Go also accepts case-insensitive matches (`"Version"`). No
//!   notary producer writes such names.
//! * Invalid UTF-8 and lone `\uD800`-style surrogates are rejected (serde_json); Go replaces
//!   them with U+FFFD.
//! * A struct written as a JSON array is rejected only at the top of `signed` and of the
//!   envelope (serde would otherwise accept arrays for structs).
//! * Missing / `null` members are zero values, duplicate members resolve to the last one, and
//!   `null` entries in `signatures` are zero-value signatures, as in Go.
//!
//! # Where verification differs from Go
//!
//! * Only the first signature of each key ID in an envelope is verified (Go tries every one):
//!   thousands of bogus signatures for one key cost one verification, not thousands.
//! * ECDSA: P-256 and P-384 only (ring has no P-521). RSA: 2048..=8192-bit moduli (ring's
//!   upper bound). Raw `r‖s` ECDSA signatures only (DER fails, as in notary 0.7).

#![warn(missing_docs)]

pub mod cjson;
pub mod crypto;
pub mod data;
pub mod error;
pub mod sign;
pub mod validation;
pub mod view;

pub use error::{CryptoError, TufError};

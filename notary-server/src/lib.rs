//! notary-server: a Notary v1 TUF metadata server that the `notary` CLI and Docker Content Trust
//! use unchanged (wire- and database-compatible with Go notary-server 0.7).
//!
//! Layout: [`config`] (Go `server-config.json`), [`routes`] (the URL table), [`handlers`]
//! (HTTP edge), [`publish`] / [`current`] / [`keys`] (domain operations), [`validate`] (bridge to
//! notary-tuf), [`signer`] (keys in notary-signer or in-process), [`storage`]
//! (diesel over SQLite / PostgreSQL / MySQL), [`cache`] (hot timestamp path), [`error`] (the
//! Go error-code table).

pub mod app;
pub mod auth;
pub mod cache;
pub mod config;
pub mod current;
pub mod error;
pub mod handlers;
pub mod keys;
pub mod metadata;
pub mod metrics;
pub mod multipart;
pub mod publish;
pub mod routes;
pub mod signer;
pub mod storage;
pub mod validate;

pub use app::{server, AppState};
pub use config::Config;

//! notary-server: a Notary v1 TUF metadata server that the `notary` CLI and Docker Content Trust
//! use unchanged (wire- and database-compatible with Go notary-server 0.7).
//!
//! Layers, each importing only the ones below it (checked by a unit test, `layering.rs`):
//!
//! | module | what |
//! |---|---|
//! | [`app`] | wiring: state from the config, the actix server |
//! | [`auth`] | Docker token auth (middleware before the handler) |
//! | [`http`] | the edge: route table, request parsing, status/code/envelope/header mapping |
//! | [`trust`] | the trust service: reads, publish pipeline, re-signing, server keys, cache |
//! | [`storage`] | `tuf_files` / `changefeed` over SQLite, PostgreSQL, MySQL |
//! | [`signer`] | timestamp/snapshot keys in notary-signer or in-process |
//! | [`gun`] | the `Gun` newtype and the GUN policy |
//! | [`metrics`] | Prometheus counters and histograms (a leaf everything reports into) |
//! | [`config`] | the Go `server-config.json` |

pub mod app;
pub mod auth;
pub mod config;
pub mod gun;
pub mod http;
pub mod metrics;
pub mod signer;
pub mod storage;
pub mod trust;

#[cfg(test)]
mod layering;

pub use app::{server, state_from_config};
pub use config::Config;

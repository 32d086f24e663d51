//! Test support for the workspace's test targets (notary-server's `it`, `auth` and `operator`
//! tests and benches, notary-signer's and notary-db's tests):
//!
//! * [`Env`]: a temp dir with the dev PKI (`notary-devcerts`);
//! * [`TestDb`]: a database of its own per test on SQLite, PostgreSQL (127.0.0.1:5432, user
//!   `postgres`) or MariaDB (127.0.0.1:3306, `root`), dropped on drop; an unreachable database
//!   fails the test, it is never skipped;
//! * [`Proc`] and [`launch`]: our binaries started on a listening socket the test bound itself
//!   and hands over as fd 3 (systemd socket activation: `LISTEN_FDS=1`), so parallel tests never
//!   race for a port; readiness is a TLS handshake with the test's own CA on that socket, and the
//!   child is killed on drop;
//! * [`cargo_bin`]: the binaries Cargo built for this test run (never a stale `target/debug`);
//! * [`notary_cli`]: the real `notary` CLI (Debian package `notary`) with a temp trust dir;
//! * [`Server`]: a running notary-server with its database, PKI and signer (ours or Go's);
//! * [`tufclient`]: repositories with controlled defects, signed with notary-tuf's `testutil`.
//!
//! Test support panics on setup failures by design (a test that cannot set up must fail with
//! the reason), hence `unwrap`/`expect` are allowed here.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bins;
mod cli;
mod db;
mod env;
mod http;
mod proc;
mod server;
mod service;
pub mod tufclient;

pub use bins::cargo_bin;
pub use cli::{notary_cli, notary_cli_auth, run_command};
pub use db::{Backend, TestDb};
pub use env::Env;
pub use http::{
    client, client_builder, error_code, get, multipart, post, publish, publish_initial, raw_tls,
};
pub use proc::{free_port, tls_ready, Proc};
pub use server::{Opts, Server, Signer, SignerKind};
pub use service::{launch, server_config, signer_config, Program, Role, Service};

/// The passphrase alias of every signer the kit starts, and its passphrase.
pub const SIGNER_ALIAS: &str = "testalias";
/// See [`SIGNER_ALIAS`].
pub const SIGNER_PASSPHRASE: &str = "signer-test-passphrase";

/// One test per `name => (args…)` line, each calling `function(args…)` (`async`: a
/// `#[tokio::test]` awaiting it; the calling crate needs tokio):
///
/// ```ignore
/// notary_testkit::test_cases!(async checklist {
///     checklist_sqlite => (Backend::Sqlite),
///     checklist_postgres => (Backend::Postgres),
/// });
/// ```
#[macro_export]
macro_rules! test_cases {
    (async $f:path { $($name:ident => ($($arg:expr),* $(,)?)),* $(,)? }) => {
        $(
            #[tokio::test]
            async fn $name() {
                $f($($arg),*).await;
            }
        )*
    };
    ($f:path { $($name:ident => ($($arg:expr),* $(,)?)),* $(,)? }) => {
        $(
            #[test]
            fn $name() {
                $f($($arg),*);
            }
        )*
    };
}

//! Integration tests: the real `notary-server` binary over real TLS, on SQLite, PostgreSQL
//! (127.0.0.1:5432) and MariaDB (127.0.0.1:3306), with the real `notary` CLI, our notary-signer
//! and Go's notary-signer. Harness: `notary-testkit`.

// Helpers outside #[test] functions panic on setup failures by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod adopt;
mod cli;
mod freshness;
mod http;
mod observability;
mod publish;
mod replicas;
mod stored_corrupt;

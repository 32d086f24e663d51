//! Operator scenarios against real processes: the key-loss recovery runbook (SQL through psql,
//! mysql and sqlite3) with no restart, `notary-server admin` (reset-gun, show, retention), and
//! the quickstart script. Our notary-signer over mTLS, the real `notary` CLI.

// Helpers outside #[test] functions panic on setup failures by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod adoption;
mod harness;
mod keys_only;
mod quickstart;
mod reset;
mod retention;
mod runbook;

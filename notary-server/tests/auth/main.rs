//! Token authentication end to end: our `notary-server` binary with `auth.type: token`, a
//! registry-style token service signing JWTs with a test CA, raw HTTP checks of every token
//! rule, the real `notary` CLI and the Docker CLI's `docker trust` commands.

// Helpers outside #[test] functions panic on setup failures by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod docker;
mod harness;
mod http;
mod realm;
mod tokens;

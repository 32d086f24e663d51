//! Token authentication end to end: our `notary-server` binary with `auth.type: token`, a
//! registry-style token service signing JWTs with a test CA, raw HTTP checks of every token
//! rule, the real `notary` CLI and the Docker CLI's `docker trust` commands.

mod cli;
mod docker;
mod harness;
mod http;
mod realm;
#[path = "../it/support.rs"]
mod support;
mod tokens;

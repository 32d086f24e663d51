//! notary-signer: the gRPC key service of Notary over mutual TLS, wire- and
//! database-compatible with Go Notary 0.7's signer.
//!
//! * [`config`]: Go `signer-config.json` keys, env overrides, relative paths.
//! * [`tls`]: rustls (ring) server config; client certificates against `client_ca_file`.
//! * [`service`]: `proto.KeyManagement` and `proto.Signer`; [`health`]: `grpc.health.v1`.
//! * [`keystore`]: create/lookup/sign/delete semantics; [`storage`]: `private_keys` via diesel.
//! * [`crypto`]: key formats, signing and the JWE encryption of stored keys.

pub mod config;
pub mod crypto;
pub mod error;
pub mod health;
pub mod keystore;
pub mod passphrase;
pub mod server;
pub mod service;
pub mod storage;
pub mod tls;

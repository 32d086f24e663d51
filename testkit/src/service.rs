//! notary-server and notary-signer processes (ours or Go's) with their config files.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use notary_devcerts::DevPki;
use serde_json::{json, Value};

use crate::{cargo_bin, free_port, tls_ready, Proc, TestDb};

/// Which executable runs.
#[derive(Debug, Clone)]
pub enum Program {
    /// Ours: started on a listener bound by the test (fd 3, socket activation).
    Ours(PathBuf),
    /// Go's (Debian package `notary`): binds the configured address itself.
    Go(PathBuf),
}

impl Program {
    /// Our notary-server, as Cargo built it for this run.
    pub fn server() -> Program {
        Program::Ours(cargo_bin("notary-server", "notary-server"))
    }

    /// Our notary-signer, as Cargo built it for this run.
    pub fn signer() -> Program {
        Program::Ours(cargo_bin("notary-signer", "notary-signer"))
    }

    pub fn go_server() -> Program {
        Program::Go("/usr/bin/notary-server".into())
    }

    pub fn go_signer() -> Program {
        Program::Go("/usr/bin/notary-signer".into())
    }
}

/// What a process is: decides its listen-address key and readiness check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// `server.http_addr`; ready when a TLS handshake trusting the test's root CA succeeds.
    Server,
    /// `server.grpc_addr`; ready when an mTLS handshake as notary-server succeeds.
    Signer,
}

/// A running notary-server or notary-signer; killed on drop.
pub struct Service {
    pub proc: Proc,
    pub addr: SocketAddr,
    pub config_path: PathBuf,
}

impl Service {
    /// `https://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }
}

/// Starts `program` as `role` with `config` (its listen address filled in), written to
/// `dir/<name>.json`, logging to `dir/<name>.log`, with `-config <file>` followed by `args` and
/// the environment `envs`; returns once it is ready (panics with its log if it is not).
///
/// Ours get a listener bound here, so there is no port race. Go's get a free port, and are
/// started again on another one if theirs was taken in the meantime.
#[allow(clippy::too_many_arguments)]
pub fn launch(
    program: &Program,
    role: Role,
    pki: &DevPki,
    dir: &Path,
    name: &str,
    mut config: Value,
    args: &[&str],
    envs: &[(&str, &str)],
) -> Service {
    let config_path = dir.join(format!("{name}.json"));
    let log = dir.join(format!("{name}.log"));
    let addr_key = match role {
        Role::Server => "http_addr",
        Role::Signer => "grpc_addr",
    };
    let client =
        (role == Role::Signer).then_some((pki.server_cert.as_path(), pki.server_key.as_path()));
    for attempt in 1.. {
        let (path, listener) = match program {
            Program::Ours(path) => (path, Some(TcpListener::bind("127.0.0.1:0").expect("bind"))),
            Program::Go(path) => (path, None),
        };
        let addr = match &listener {
            Some(l) => l.local_addr().expect("local addr"),
            None => SocketAddr::from(([127, 0, 0, 1], free_port())),
        };
        config["server"][addr_key] = json!(addr.to_string());
        std::fs::write(&config_path, config.to_string()).expect("write config");
        let mut cmd = Command::new(path);
        cmd.arg("-config").arg(&config_path).args(args);
        cmd.envs(envs.iter().copied());
        let mut proc = match listener {
            Some(l) => Proc::spawn_with_listener(name, cmd, log.clone(), l),
            None => Proc::spawn(name, cmd, log.clone()),
        };
        match proc.wait_ready(Duration::from_secs(30), || {
            tls_ready(addr, &pki.root_ca, client)
        }) {
            Ok(()) => {
                return Service {
                    proc,
                    addr,
                    config_path,
                }
            }
            Err(e) if attempt < 5 && e.contains("address already in use") => continue,
            Err(e) => panic!("{e}"),
        }
    }
    unreachable!("the loop returns or panics")
}

/// A notary-server config (Go `server-config.json`) on `db`, TLS from `pki`, the local signing
/// service or the signer on `signer_port` (mTLS as notary-server), log level info. The listen
/// address is left to [`launch`].
pub fn server_config(pki: &DevPki, db: &TestDb, signer_port: Option<u16>) -> Value {
    let trust = match signer_port {
        None => json!({"type": "local"}),
        Some(p) => json!({"type": "remote", "hostname": "127.0.0.1", "port": p.to_string(),
            "tls_ca_file": pki.root_ca, "key_algorithm": "ecdsa",
            "tls_client_cert": pki.server_cert, "tls_client_key": pki.server_key}),
    };
    json!({
        "server": {"tls_cert_file": pki.server_cert, "tls_key_file": pki.server_key},
        "trust_service": trust,
        "storage": {"backend": db.config_backend(), "db_url": db.go_url()},
        "logging": {"level": "info"},
    })
}

/// A notary-signer config (Go `signer-config.json`) on `db` with passphrase alias `alias`
/// (passphrase from `NOTARY_SIGNER_<ALIAS>`), accepting clients of the dev CA bundle. The listen
/// address is left to [`launch`].
pub fn signer_config(pki: &DevPki, db: &TestDb, alias: &str) -> Value {
    json!({
        "server": {"tls_cert_file": pki.signer_cert, "tls_key_file": pki.signer_key,
            "client_ca_file": pki.ca_bundle},
        "storage": {"backend": db.config_backend(), "db_url": db.go_url(),
            "default_alias": alias},
        "logging": {"level": "info"},
    })
}

//! Child processes killed on drop, started either on a listener the test bound (handed over as
//! fd 3, systemd socket activation) or, for programs that cannot take one, on a port of their
//! own; readiness is checked against the child, not just "something listens on the port".

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use command_fds::{CommandFdExt, FdMapping};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};

/// A child process (stdout and stderr into a log file), killed on drop.
pub struct Proc {
    pub child: Child,
    pub name: String,
    pub log: PathBuf,
}

impl Proc {
    /// Starts `cmd` with no inherited listener (`LISTEN_FDS`/`LISTEN_PID` removed).
    pub fn spawn(name: &str, mut cmd: Command, log: PathBuf) -> Proc {
        cmd.env_remove("LISTEN_FDS").env_remove("LISTEN_PID");
        Self::start(name, cmd, log)
    }

    /// Starts `cmd` serving on `listener`: the socket becomes the child's fd 3 with
    /// `LISTEN_FDS=1` and `LISTEN_FDNAMES=<name>`. `LISTEN_PID` is left unset (it cannot be known
    /// before the child exists); our binaries honour fds only when `LISTEN_FDS` is set, and remove
    /// both variables so their own children do not see them. The parent's copy is closed once
    /// the child has started, so when the child dies its port refuses connections.
    pub fn spawn_with_listener(
        name: &str,
        mut cmd: Command,
        log: PathBuf,
        listener: TcpListener,
    ) -> Proc {
        cmd.env_remove("LISTEN_PID")
            .env("LISTEN_FDS", "1")
            .env(
                "LISTEN_FDNAMES",
                name.replace(|c: char| !c.is_ascii_alphanumeric(), "_"),
            )
            .fd_mappings(vec![FdMapping {
                parent_fd: OwnedFd::from(listener),
                child_fd: 3,
            }])
            .expect("fd 3 mapping");
        // `cmd` (holding the parent's copy of the socket) is dropped inside.
        Self::start(name, cmd, log)
    }

    fn start(name: &str, mut cmd: Command, log: PathBuf) -> Proc {
        let f = std::fs::File::create(&log).expect("log file");
        let f2 = f.try_clone().expect("log file");
        cmd.stdin(Stdio::null())
            .stdout(Stdio::from(f))
            .stderr(Stdio::from(f2));
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Proc {
            child,
            name: name.to_string(),
            log,
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The exit status, if the child has exited.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("try_wait")
    }

    /// Polls `ready` until it holds; `Err` (with the log) when the child exits first or
    /// `timeout` passes.
    pub fn wait_ready(
        &mut self,
        timeout: Duration,
        mut ready: impl FnMut() -> bool,
    ) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.exited() {
                return Err(format!(
                    "{} exited ({status}) before it was ready: {}",
                    self.name,
                    self.log_text()
                ));
            }
            if ready() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{} not ready after {timeout:?}: {}",
                    self.name,
                    self.log_text()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A loopback port that was free a moment ago. Only for programs that cannot take a listener
/// (Go's binaries, scripts, tests of the configured listen address): the port can be taken by
/// someone else before the program binds it, so check readiness with [`tls_ready`] (which only
/// our own child, holding this test's certificates, passes) and retry when the child exits.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// True when a TLS handshake with the server at `addr` succeeds, trusting only `root_ca` (the
/// test's own dev PKI, so another test's server never passes), optionally presenting a client
/// certificate chain and key.
pub fn tls_ready(addr: SocketAddr, root_ca: &Path, client: Option<(&Path, &Path)>) -> bool {
    let Ok(config) = tls_client(root_ca, client) else {
        return false;
    };
    let Ok(mut tcp) = TcpStream::connect_timeout(&addr, Duration::from_secs(1)) else {
        return false;
    };
    let timeout = Some(Duration::from_secs(2));
    if tcp.set_read_timeout(timeout).is_err() || tcp.set_write_timeout(timeout).is_err() {
        return false;
    }
    let name = ServerName::IpAddress(addr.ip().into());
    let Ok(mut conn) = rustls::ClientConnection::new(Arc::new(config), name) else {
        return false;
    };
    while conn.is_handshaking() {
        if conn.complete_io(&mut tcp).is_err() {
            return false;
        }
    }
    true
}

/// A rustls client trusting only `root_ca`, optionally with a client certificate chain and key.
pub(crate) fn tls_client(
    root_ca: &Path,
    client: Option<(&Path, &Path)>,
) -> Result<rustls::ClientConfig, Box<dyn std::error::Error>> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_file(root_ca)?)?;
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots);
    Ok(match client {
        None => builder.with_no_client_auth(),
        Some((chain, key)) => builder.with_client_auth_cert(
            CertificateDer::pem_file_iter(chain)?.collect::<Result<Vec<_>, _>>()?,
            PrivateKeyDer::from_pem_file(key)?,
        )?,
    })
}

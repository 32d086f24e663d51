//! A notary-signer + notary-server pair with their own databases (two separate databases on the
//! same backend, as in a real deployment), the `admin` subcommands, and HTTP probes.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use notary_devcerts::DevPki;
use serde_json::json;
use tempfile::TempDir;

use crate::support::{self, free_port, Backend, Proc, TestDb};

/// Our notary-signer binary (built by `cargo build -p notary-signer`).
fn signer_bin() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../target"));
    let bin = target.join("debug").join("notary-signer");
    assert!(
        bin.exists(),
        "{} missing: run `cargo build -p notary-signer` first",
        bin.display()
    );
    bin
}

fn wait_port(port: u16, proc: &Proc) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{} did not start: {}",
            proc.name,
            proc.log_text()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The signer's `storage` block for a test database.
fn signer_storage(db: &TestDb) -> serde_json::Value {
    json!({"backend": db.config_backend, "db_url": db.url, "default_alias": "opalias"})
}

/// Signer and server running, each on its own database.
pub struct Stack {
    pub url: String,
    pub config_path: PathBuf,
    pub pki: DevPki,
    rt: tokio::runtime::Runtime,
    client: reqwest::Client,
    // Field order = drop order: processes stop before their databases are dropped.
    pub server: Proc,
    pub signer: Proc,
    pub server_db: TestDb,
    pub signer_db: TestDb,
    pub dir: TempDir,
}

impl Stack {
    pub fn start(backend: Backend) -> Stack {
        let dir = tempfile::tempdir().expect("tempdir");
        let pki = notary_devcerts::generate(&dir.path().join("pki")).expect("dev pki");
        let server_db = TestDb::new(backend, dir.path());
        let signer_db = TestDb::new(backend, dir.path());

        let signer_port = free_port();
        let signer_cfg = dir.path().join("signer.json");
        let cfg = json!({
            "server": {"grpc_addr": format!("127.0.0.1:{signer_port}"),
                "tls_cert_file": pki.signer_cert, "tls_key_file": pki.signer_key,
                "client_ca_file": pki.ca_bundle},
            "storage": signer_storage(&signer_db),
            "logging": {"level": "info"}
        });
        std::fs::write(&signer_cfg, cfg.to_string()).expect("signer config");
        let mut cmd = Command::new(signer_bin());
        cmd.arg("-config").arg(&signer_cfg);
        cmd.env("NOTARY_SIGNER_OPALIAS", "operator-test-passphrase");
        let signer = Proc::spawn("notary-signer", cmd, dir.path().join("signer.log"));
        wait_port(signer_port, &signer);

        let port = free_port();
        let config_path = dir.path().join("server.json");
        let cfg = json!({
            "server": {"http_addr": format!("127.0.0.1:{port}"),
                "tls_cert_file": pki.server_cert, "tls_key_file": pki.server_key},
            "trust_service": {"type": "remote", "hostname": "127.0.0.1",
                "port": signer_port.to_string(), "tls_ca_file": pki.root_ca,
                "key_algorithm": "ecdsa", "tls_client_cert": pki.server_cert,
                "tls_client_key": pki.server_key},
            "storage": {"backend": server_db.config_backend, "db_url": server_db.url},
            "logging": {"level": "info"}
        });
        std::fs::write(&config_path, cfg.to_string()).expect("server config");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_notary-server"));
        cmd.arg("-config")
            .arg(&config_path)
            .arg("-logf")
            .arg("text");
        let server = Proc::spawn("notary-server", cmd, dir.path().join("server.log"));
        wait_port(port, &server);

        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let client = support::client(&pki);
        Stack {
            url: format!("https://127.0.0.1:{port}"),
            config_path,
            pki,
            rt,
            client,
            server,
            signer,
            server_db,
            signer_db,
            dir,
        }
    }

    /// A new, empty trust directory.
    pub fn trust_dir(&self, name: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::create_dir_all(&p).expect("trust dir");
        p
    }

    /// The notary CLI; panics with its output when it fails.
    pub fn notary_ok(&self, trust: &Path, args: &[&str]) -> String {
        let (ok, out) = self.notary(trust, args);
        assert!(
            ok,
            "notary {args:?} failed: {out}\nserver log:\n{}",
            self.server.log_text()
        );
        out
    }

    pub fn notary(&self, trust: &Path, args: &[&str]) -> (bool, String) {
        support::notary_cli(&self.url, &self.pki.root_ca, trust, args, None)
    }

    /// `notary init <gun> -p`, then one target added and published.
    pub fn init_with_target(&self, trust: &Path, gun: &str) {
        self.notary_ok(trust, &["init", gun, "-p"]);
        self.add_and_publish(trust, gun, "first");
    }

    /// Adds a target file named `name` and publishes.
    pub fn add_and_publish(&self, trust: &Path, gun: &str, name: &str) {
        let file = self.dir.path().join(format!("{name}.txt"));
        std::fs::write(&file, format!("content of {name}")).expect("target file");
        let file = file.to_string_lossy().into_owned();
        self.notary_ok(trust, &["add", gun, name, &file]);
        self.notary_ok(trust, &["publish", gun]);
    }

    /// `notary-server admin -config <server config> <args>` → (success, stdout+stderr).
    pub fn admin(&self, args: &[&str]) -> (bool, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_notary-server"))
            .arg("admin")
            .arg("-config")
            .arg(&self.config_path)
            .args(args)
            .output()
            .expect("run admin");
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    }

    pub fn admin_ok(&self, args: &[&str]) -> String {
        let (ok, out) = self.admin(args);
        assert!(ok, "admin {args:?} failed: {out}");
        out
    }

    /// HTTP status of a GET on the server.
    pub fn status(&self, path: &str) -> u16 {
        let url = format!("{}{path}", self.url);
        self.rt.block_on(async {
            self.client
                .get(&url)
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or_else(|e| panic!("GET {url}: {e}"))
        })
    }

    /// Polls the GUN's timestamp, snapshot, targets and root until all are 404; returns when
    /// (after `since`) the first all-404 round of requests was sent.
    pub fn wait_gone(&self, gun: &str, since: Instant) -> Duration {
        let deadline = since + Duration::from_secs(5);
        loop {
            let sent = since.elapsed();
            let codes: Vec<(&str, u16)> = ["timestamp", "snapshot", "targets", "root"]
                .into_iter()
                .map(|role| {
                    (
                        role,
                        self.status(&format!("/v2/{gun}/_trust/tuf/{role}.json")),
                    )
                })
                .collect();
            if codes.iter().all(|(_, c)| *c == 404) {
                return sent;
            }
            assert!(
                Instant::now() < deadline,
                "{gun} still served after 5 s: {codes:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Live (not soft-deleted) signer keys of a GUN.
    pub fn live_keys(&self, gun: &str) -> usize {
        self.signer_db
            .sql(&format!(
                "select count(*) from private_keys where gun='{gun}' and deleted_at is null;"
            ))
            .trim()
            .parse()
            .expect("count")
    }

    /// Number of tuf_files rows of (gun, role).
    pub fn rows(&self, gun: &str, role: &str) -> usize {
        self.server_db
            .sql(&format!(
                "select count(*) from tuf_files where gun='{gun}' and role='{role}';"
            ))
            .trim()
            .parse()
            .expect("count")
    }
}

/// The budget: an out-of-band deletion is visible within one second (measured at the send time
/// of the first all-404 poll round; polls are 20 ms apart plus one round of four requests, hence
/// the 100 ms of slack).
pub const VISIBLE_WITHIN: Duration = Duration::from_millis(1100);

//! Test harness: a unique database per test (dropped on drop), the real `notary-server` binary
//! on a free loopback port with real TLS (dev PKI in a tempdir), optional signers (ours or Go's),
//! and the real `notary` CLI. Every process is killed on drop.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use notary_devcerts::DevPki;
use serde_json::json;
use tempfile::TempDir;

/// Storage backend for a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    Mysql,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A unique name for databases.
pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    )
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("spawn command");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A database created for one test and dropped afterwards.
pub struct TestDb {
    pub backend: Backend,
    pub name: String,
    /// The `storage.backend` value.
    pub config_backend: &'static str,
    /// The `storage.db_url` value.
    pub url: String,
}

impl TestDb {
    pub fn new(backend: Backend, dir: &Path) -> TestDb {
        let name = unique("notary_srv");
        match backend {
            Backend::Sqlite => TestDb {
                backend,
                url: dir
                    .join(format!("{name}.db"))
                    .to_string_lossy()
                    .into_owned(),
                name,
                config_backend: "sqlite3",
            },
            Backend::Postgres => {
                psql("postgres", &format!("CREATE DATABASE {name}"));
                TestDb {
                    backend,
                    url: format!("postgres://postgres@127.0.0.1:5432/{name}?sslmode=disable"),
                    name,
                    config_backend: "postgres",
                }
            }
            Backend::Mysql => {
                mysql("", &format!("CREATE DATABASE {name}"));
                TestDb {
                    backend,
                    url: format!("root@tcp(127.0.0.1:3306)/{name}?parseTime=True"),
                    name,
                    config_backend: "mysql",
                }
            }
        }
    }

    /// Runs SQL against this database through its CLI; returns stdout.
    pub fn sql(&self, sql: &str) -> String {
        match self.backend {
            Backend::Sqlite => {
                // `.timeout`: wait for a server's write lock instead of "database is locked".
                let out = run(Command::new("sqlite3")
                    .args(["-cmd", ".timeout 10000"])
                    .arg(&self.url)
                    .arg(sql));
                String::from_utf8_lossy(&out.stdout).into_owned()
            }
            Backend::Postgres => psql(&self.name, sql),
            Backend::Mysql => mysql(&self.name, sql),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match self.backend {
            Backend::Sqlite => {}
            Backend::Postgres => {
                let _ = Command::new("psql")
                    .args([
                        "-h",
                        "127.0.0.1",
                        "-U",
                        "postgres",
                        "-d",
                        "postgres",
                        "-qAtc",
                    ])
                    .arg(format!(
                        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                        self.name
                    ))
                    .output();
            }
            Backend::Mysql => {
                let _ = Command::new("mysql")
                    .args(["-h", "127.0.0.1", "-P", "3306", "-u", "root", "-e"])
                    .arg(format!("DROP DATABASE IF EXISTS {}", self.name))
                    .output();
            }
        }
    }
}

pub fn psql(db: &str, sql: &str) -> String {
    let out = run(Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            db,
            "-qAtc",
        ])
        .arg(sql));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn mysql(db: &str, sql: &str) -> String {
    let mut cmd = Command::new("mysql");
    cmd.args(["-h", "127.0.0.1", "-P", "3306", "-u", "root", "-N", "-B"]);
    if !db.is_empty() {
        cmd.arg(db);
    }
    let out = run(cmd.arg("-e").arg(sql));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A free loopback port.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A child process killed on drop.
pub struct Proc {
    pub child: Child,
    pub name: String,
    pub log: PathBuf,
}

impl Proc {
    pub fn spawn(name: &str, mut cmd: Command, log: PathBuf) -> Proc {
        let f = std::fs::File::create(&log).expect("log file");
        let f2 = f.try_clone().expect("log file");
        cmd.stdout(Stdio::from(f)).stderr(Stdio::from(f2));
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
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Which signing service the server uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignerKind {
    /// `trust_service.type: local`.
    Local,
    /// Our notary-signer binary (SQLite), mTLS.
    Rust,
    /// Go `/usr/bin/notary-signer` on PostgreSQL, mTLS.
    Go,
}

/// A running signer.
pub struct Signer {
    pub proc: Proc,
    pub port: u16,
    db: Option<TestDb>,
}

fn workspace_target_bin(name: &str) -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../target"));
    target.join("debug").join(name)
}

impl Signer {
    pub fn start(kind: SignerKind, pki: &DevPki, dir: &Path) -> Option<Signer> {
        let port = free_port();
        let cfg_path = dir.join(format!("signer-{port}.json"));
        let (cmd, db) = match kind {
            SignerKind::Local => return None,
            SignerKind::Rust => {
                let bin = workspace_target_bin("notary-signer");
                assert!(
                    bin.exists(),
                    "{} missing: run `cargo build -p notary-signer` first",
                    bin.display()
                );
                let cfg = json!({
                    "server": {"grpc_addr": format!("127.0.0.1:{port}"),
                        "tls_cert_file": pki.signer_cert, "tls_key_file": pki.signer_key,
                        "client_ca_file": pki.ca_bundle},
                    "storage": {"backend": "sqlite3", "db_url": dir.join(format!("signer-{port}.db")),
                        "default_alias": "testalias"},
                    "logging": {"level": "info"}
                });
                std::fs::write(&cfg_path, cfg.to_string()).expect("write signer config");
                let mut cmd = Command::new(bin);
                cmd.arg("-config").arg(&cfg_path);
                cmd.env("NOTARY_SIGNER_TESTALIAS", "signer-test-passphrase");
                (cmd, None)
            }
            SignerKind::Go => {
                let db = TestDb::new(Backend::Postgres, dir);
                let schema = std::fs::read_dir(
                    Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations/signer/postgresql"),
                )
                .expect("signer migrations")
                .filter_map(|e| e.ok())
                .map(|e| e.path().join("up.sql"))
                .collect::<Vec<_>>();
                for f in schema {
                    db.sql(&std::fs::read_to_string(f).expect("read migration"));
                }
                let cfg = json!({
                    "server": {"grpc_addr": format!("127.0.0.1:{port}"),
                        "tls_cert_file": pki.signer_cert, "tls_key_file": pki.signer_key,
                        "client_ca_file": pki.ca_bundle},
                    "storage": {"backend": "postgres", "db_url": db.url.clone(),
                        "default_alias": "testalias"},
                    "logging": {"level": "info"}
                });
                std::fs::write(&cfg_path, cfg.to_string()).expect("write signer config");
                let mut cmd = Command::new("/usr/bin/notary-signer");
                cmd.arg("-config").arg(&cfg_path);
                cmd.env("NOTARY_SIGNER_TESTALIAS", "signer-test-passphrase");
                (cmd, Some(db))
            }
        };
        let proc = Proc::spawn(
            &format!("signer-{kind:?}"),
            cmd,
            dir.join(format!("signer-{port}.log")),
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "signer did not start: {}",
                proc.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(Signer { proc, port, db })
    }
}

/// Options for [`Server::start`].
#[derive(Debug, Clone)]
pub struct Opts {
    pub backend: Backend,
    pub signer: SignerKind,
    pub gun_prefixes: Option<Vec<String>>,
    pub current_max_age: Option<u32>,
    pub max_body_bytes: Option<usize>,
    pub timestamp_expiry_secs: Option<u64>,
}

impl Opts {
    pub fn new(backend: Backend, signer: SignerKind) -> Opts {
        Opts {
            backend,
            signer,
            gun_prefixes: None,
            current_max_age: None,
            max_body_bytes: None,
            timestamp_expiry_secs: None,
        }
    }
}

/// A running notary-server binary with its database, PKI and signer.
pub struct Server {
    pub url: String,
    pub port: u16,
    pub pki: DevPki,
    pub config_path: PathBuf,
    // Field order = drop order: the server stops before its signer and database go away.
    pub proc: Proc,
    pub signer: Option<Signer>,
    pub db: TestDb,
    pub dir: TempDir,
}

impl Server {
    pub fn start(opts: Opts) -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        let pki = notary_devcerts::generate(&dir.path().join("pki")).expect("dev pki");
        let db = TestDb::new(opts.backend, dir.path());
        let signer = Signer::start(opts.signer, &pki, dir.path());
        Self::start_with(opts, dir, pki, db, signer)
    }

    /// Starts a server on an existing database/PKI/signer (for a second replica use
    /// [`Server::replica`]).
    pub fn start_with(
        opts: Opts,
        dir: TempDir,
        pki: DevPki,
        db: TestDb,
        signer: Option<Signer>,
    ) -> Server {
        let port = free_port();
        let config_path = dir.path().join(format!("server-{port}.json"));
        std::fs::write(
            &config_path,
            server_config(&opts, &pki, &db, signer.as_ref().map(|s| s.port), port).to_string(),
        )
        .expect("write config");
        let proc = spawn_server(&config_path, dir.path(), port);
        let url = format!("https://127.0.0.1:{port}");
        let s = Server {
            url,
            port,
            pki,
            config_path,
            proc,
            signer,
            db,
            dir,
        };
        s.wait_ready();
        s
    }

    /// Another server process on the same database and signer (a replica); returns it and
    /// its URL.
    pub fn replica(&self, opts: &Opts) -> (Proc, String) {
        let port = free_port();
        let config_path = self.dir.path().join(format!("server-{port}.json"));
        std::fs::write(
            &config_path,
            server_config(
                opts,
                &self.pki,
                &self.db,
                self.signer.as_ref().map(|s| s.port),
                port,
            )
            .to_string(),
        )
        .expect("write config");
        let proc = spawn_server(&config_path, self.dir.path(), port);
        wait_port(port, &proc);
        (proc, format!("https://127.0.0.1:{port}"))
    }

    fn wait_ready(&self) {
        wait_port(self.port, &self.proc);
    }

    /// An HTTPS client trusting the dev root CA.
    pub fn client(&self) -> reqwest::Client {
        client(&self.pki)
    }

    pub fn trust_dir(&self, name: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::create_dir_all(&p).expect("trust dir");
        p
    }

    /// Runs the real notary CLI against this server; returns (success, stdout+stderr).
    pub fn notary(&self, trust_dir: &Path, args: &[&str], stdin: Option<&str>) -> (bool, String) {
        notary_cli(&self.url, &self.pki.root_ca, trust_dir, args, stdin)
    }
}

pub fn client(pki: &DevPki) -> reqwest::Client {
    let ca = std::fs::read(&pki.root_ca).expect("root ca");
    reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("ca pem"))
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client")
}

fn server_config(
    opts: &Opts,
    pki: &DevPki,
    db: &TestDb,
    signer_port: Option<u16>,
    port: u16,
) -> serde_json::Value {
    let trust = match signer_port {
        None => json!({"type": "local"}),
        Some(p) => json!({"type": "remote", "hostname": "127.0.0.1", "port": p.to_string(),
            "tls_ca_file": pki.root_ca, "key_algorithm": "ecdsa",
            "tls_client_cert": pki.server_cert, "tls_client_key": pki.server_key}),
    };
    let mut cfg = json!({
        "server": {"http_addr": format!("127.0.0.1:{port}"),
            "tls_cert_file": pki.server_cert, "tls_key_file": pki.server_key},
        "trust_service": trust,
        "storage": {"backend": db.config_backend, "db_url": db.url},
        "logging": {"level": "info"},
    });
    if let Some(p) = &opts.gun_prefixes {
        cfg["repositories"] = json!({"gun_prefixes": p});
    }
    if let Some(a) = opts.current_max_age {
        cfg["caching"] = json!({"max_age": {"current_metadata": a}});
    }
    if let Some(b) = opts.max_body_bytes {
        cfg["server"]["max_body_bytes"] = json!(b);
    }
    if let Some(t) = opts.timestamp_expiry_secs {
        cfg["server"]["timestamp_expiry_seconds"] = json!(t);
    }
    cfg
}

fn spawn_server(config: &Path, dir: &Path, port: u16) -> Proc {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_notary-server"));
    cmd.arg("-config").arg(config).arg("-logf").arg("text");
    Proc::spawn("notary-server", cmd, dir.join(format!("server-{port}.log")))
}

fn wait_port(port: u16, proc: &Proc) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "notary-server did not start: {}",
            proc.log_text()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The real `notary` CLI with non-interactive passphrases.
pub fn notary_cli(
    url: &str,
    ca: &Path,
    trust_dir: &Path,
    args: &[&str],
    stdin: Option<&str>,
) -> (bool, String) {
    use std::io::Write as _;
    let mut cmd = Command::new("/usr/bin/notary");
    cmd.arg("-s")
        .arg(url)
        .arg("--tlscacert")
        .arg(ca)
        .arg("-d")
        .arg(trust_dir)
        .args(args)
        .env("NOTARY_ROOT_PASSPHRASE", "root-pass-1234")
        .env("NOTARY_TARGETS_PASSPHRASE", "targets-pass-1234")
        .env("NOTARY_SNAPSHOT_PASSPHRASE", "snapshot-pass-1234")
        .env("NOTARY_DELEGATION_PASSPHRASE", "delegation-pass-1234")
        .env("HOME", trust_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn notary CLI");
    if let Some(mut sin) = child.stdin.take() {
        if let Some(s) = stdin {
            let _ = sin.write_all(s.as_bytes());
        }
    }
    let out = child.wait_with_output().expect("notary CLI");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Go's multipart body for a publish (one part per role, filename = role).
pub fn multipart(parts: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "notarytestboundary1234";
    let mut body = Vec::new();
    for (role, data) in parts {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{role}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Parses an error envelope and returns its single code.
pub fn error_code(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body)
        .unwrap_or_else(|e| panic!("not an error envelope ({e}): {body}"));
    v["errors"][0]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no code: {body}"))
        .to_string()
}

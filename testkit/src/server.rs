//! A running notary-server binary with its database, PKI and signer.

use std::path::{Path, PathBuf};

use notary_devcerts::DevPki;
use serde_json::{json, Value};
use tempfile::TempDir;

use crate::env::subdir;
use crate::tufclient::Repo;
use crate::{
    launch, notary_cli, server_config, signer_config, Backend, Env, Proc, Program, Role, Service,
    TestDb, SIGNER_ALIAS, SIGNER_PASSPHRASE,
};

/// Which signing service the server uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignerKind {
    /// `trust_service.type: local`.
    Local,
    /// Our notary-signer binary, mTLS.
    Rust,
    /// Go's `/usr/bin/notary-signer` on PostgreSQL, mTLS.
    Go,
}

/// A running signer process with its own database.
pub struct Signer {
    // Field order = drop order: the process stops before its database goes away.
    pub proc: Proc,
    pub port: u16,
    pub db: TestDb,
}

impl Signer {
    /// Starts a signer of `kind` (`None` for [`SignerKind::Local`]); ours on a database of
    /// `backend`, Go's always on PostgreSQL (with the schema our migrations hold, which is Go's).
    pub fn start(kind: SignerKind, backend: Backend, pki: &DevPki, dir: &Path) -> Option<Signer> {
        let (program, db) = match kind {
            SignerKind::Local => return None,
            SignerKind::Rust => (Program::signer(), TestDb::new(backend)),
            SignerKind::Go => {
                let db = TestDb::new(Backend::Postgres);
                let migrations =
                    Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations/signer/postgresql");
                for e in std::fs::read_dir(migrations).expect("signer migrations") {
                    let up = e.expect("migration").path().join("up.sql");
                    db.sql(&std::fs::read_to_string(up).expect("read migration"));
                }
                (Program::go_signer(), db)
            }
        };
        let env_name = format!("NOTARY_SIGNER_{}", SIGNER_ALIAS.to_uppercase());
        let Service { proc, addr, .. } = launch(
            &program,
            Role::Signer,
            pki,
            dir,
            &format!("signer-{kind:?}-{}", db.name),
            signer_config(pki, &db, SIGNER_ALIAS),
            &[],
            &[(&env_name, SIGNER_PASSPHRASE)],
        );
        Some(Signer {
            proc,
            port: addr.port(),
            db,
        })
    }
}

/// Options for [`Server::start`].
#[derive(Debug, Clone)]
pub struct Opts {
    pub backend: Backend,
    pub signer: SignerKind,
    /// The database backend of our signer ([`SignerKind::Rust`]); SQLite unless set.
    pub signer_backend: Backend,
    pub gun_prefixes: Option<Vec<String>>,
    pub current_max_age: Option<u32>,
    pub max_body_bytes: Option<usize>,
    pub timestamp_expiry_secs: Option<u64>,
    /// `logging.level`.
    pub log_level: &'static str,
    /// The `auth` section, if any.
    pub auth: Option<Value>,
    /// Merged into the `server` section.
    pub server_extra: Value,
}

impl Opts {
    pub fn new(backend: Backend, signer: SignerKind) -> Opts {
        Opts {
            backend,
            signer,
            signer_backend: Backend::Sqlite,
            gun_prefixes: None,
            current_max_age: None,
            max_body_bytes: None,
            timestamp_expiry_secs: None,
            log_level: "info",
            auth: None,
            server_extra: json!({}),
        }
    }

    /// The server config for these options.
    fn config(&self, pki: &DevPki, db: &TestDb, signer: Option<&Signer>) -> Value {
        let mut cfg = server_config(pki, db, signer.map(|s| s.port));
        cfg["logging"]["level"] = json!(self.log_level);
        if let Some(p) = &self.gun_prefixes {
            cfg["repositories"] = json!({"gun_prefixes": p});
        }
        if let Some(a) = self.current_max_age {
            cfg["caching"] = json!({"max_age": {"current_metadata": a}});
        }
        if let Some(b) = self.max_body_bytes {
            cfg["server"]["max_body_bytes"] = json!(b);
        }
        if let Some(t) = self.timestamp_expiry_secs {
            cfg["server"]["timestamp_expiry_seconds"] = json!(t);
        }
        for (k, v) in self.server_extra.as_object().into_iter().flatten() {
            cfg["server"][k] = v.clone();
        }
        if let Some(a) = &self.auth {
            cfg["auth"] = a.clone();
        }
        cfg
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
        let env = Env::new();
        let db = TestDb::new(opts.backend);
        let signer = Signer::start(opts.signer, opts.signer_backend, &env.pki, env.path());
        Self::start_with(opts, env, db, signer)
    }

    /// Starts a server on an existing database/PKI/signer.
    pub fn start_with(opts: Opts, env: Env, db: TestDb, signer: Option<Signer>) -> Server {
        let Env { pki, dir } = env;
        let (proc, url) = spawn(&opts, &pki, dir.path(), &db, signer.as_ref(), "server");
        Server {
            port: proc.addr.port(),
            url,
            pki,
            config_path: proc.config_path,
            proc: proc.proc,
            signer,
            db,
            dir,
        }
    }

    /// Another server process on the same database and signer (a replica); returns it and
    /// its URL.
    pub fn replica(&self, opts: &Opts) -> (Proc, String) {
        let (s, url) = spawn(
            opts,
            &self.pki,
            self.dir.path(),
            &self.db,
            self.signer.as_ref(),
            "replica",
        );
        (s.proc, url)
    }

    /// An HTTPS client trusting the dev root CA.
    pub fn client(&self) -> reqwest::Client {
        crate::client(&self.pki)
    }

    /// A trust directory `name` (created).
    pub fn trust_dir(&self, name: &str) -> PathBuf {
        subdir(self.dir.path(), name)
    }

    /// Runs the real notary CLI against this server; returns (success, stdout+stderr).
    pub fn notary(&self, trust_dir: &Path, args: &[&str], stdin: Option<&str>) -> (bool, String) {
        notary_cli(&self.url, &self.pki.root_ca, trust_dir, args, stdin)
    }

    /// GET `path` on this server: (status, body).
    pub async fn get(&self, path: &str) -> (reqwest::StatusCode, Vec<u8>) {
        crate::get(&self.client(), &format!("{}{path}", self.url)).await
    }

    /// GET `path` on this server, which must answer 200 with a JSON body.
    pub async fn get_json(&self, path: &str) -> Value {
        let (st, body) = self.get(path).await;
        let text = String::from_utf8_lossy(&body);
        assert_eq!(st, reqwest::StatusCode::OK, "GET {path}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("GET {path}: {e}: {text}"))
    }

    /// POST `body` as `content_type` to `path` on this server: (status, body text).
    pub async fn post(
        &self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> (reqwest::StatusCode, String) {
        crate::post(
            &self.client(),
            &format!("{}{path}", self.url),
            content_type,
            body,
        )
        .await
    }

    /// Publishes `parts` (role, bytes) to `gun`: (status, body text).
    pub async fn publish(
        &self,
        gun: &str,
        parts: &[(&str, &[u8])],
    ) -> (reqwest::StatusCode, String) {
        crate::publish(&self.client(), &self.url, gun, parts).await
    }

    /// The first publish of `repo` with a server-managed snapshot: root and targets version 1.
    pub async fn publish_initial(&self, gun: &str, repo: &Repo) -> (reqwest::StatusCode, String) {
        crate::publish_initial(&self.client(), &self.url, gun, repo).await
    }

    /// The status of a `method` request without a body to `path`.
    pub async fn status(&self, method: reqwest::Method, path: &str) -> reqwest::StatusCode {
        let url = format!("{}{path}", self.url);
        let r = self.client().request(method, &url).send().await;
        r.unwrap_or_else(|e| panic!("{url}: {e}")).status()
    }

    /// The first publish of `repo` with a client-held snapshot (root, targets and snapshot
    /// version 1), which must succeed; returns the root, targets and snapshot bytes.
    pub async fn publish_initial_with_snapshot(
        &self,
        gun: &str,
        repo: &Repo,
    ) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        let root = repo.root_file(1);
        let targets = repo.targets_file(1);
        let snapshot = repo.snapshot_file(1, &[("root", &root), ("targets", &targets)]);
        let parts: [(&str, &[u8]); 3] = [
            ("root", &root),
            ("targets", &targets),
            ("snapshot", &snapshot),
        ];
        let (st, body) = self.publish(gun, &parts).await;
        assert_eq!(st, reqwest::StatusCode::OK, "{body}");
        (root, targets, snapshot)
    }

    /// The notary CLI; panics with its output and the server log when it fails.
    pub fn notary_ok(&self, trust_dir: &Path, args: &[&str]) -> String {
        let (ok, out) = self.notary(trust_dir, args, None);
        assert!(
            ok,
            "notary {args:?} failed:\n{out}\n--- server log ---\n{}",
            self.proc.log_text()
        );
        out
    }
}

fn spawn(
    opts: &Opts,
    pki: &DevPki,
    dir: &Path,
    db: &TestDb,
    signer: Option<&Signer>,
    name: &str,
) -> (Service, String) {
    // Unique within the dir: a test may start several servers there.
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let s = launch(
        &Program::server(),
        Role::Server,
        pki,
        dir,
        &format!("{name}-{n}"),
        opts.config(pki, db, signer),
        &["-logf", "text"],
        &[],
    );
    let url = s.url();
    (s, url)
}

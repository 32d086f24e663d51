//! Our `notary-server` binary with `auth.type: token`, its token CA, and (optionally) the token
//! service; the notary CLI with `NOTARY_AUTH` credentials.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use notary_devcerts::DevPki;
use serde_json::json;
use tempfile::TempDir;

use crate::realm::{Account, Realm, RealmState};
use crate::support::{free_port, Backend, Proc, TestDb};
use crate::tokens::{TokenCa, TokenKey};

pub const ISSUER: &str = "test-token-issuer";
pub const SERVICE: &str = "notary-test-service";

/// Test accounts: `pusher` (push+pull), `reader` (pull), `admin` (*).
pub fn accounts() -> HashMap<String, Account> {
    let mut m = HashMap::new();
    for (user, actions) in [
        ("pusher", vec!["push", "pull"]),
        ("reader", vec!["pull"]),
        ("admin", vec!["*"]),
    ] {
        m.insert(
            user.to_string(),
            Account {
                password: format!("{user}-secret"),
                actions: actions.into_iter().map(String::from).collect(),
            },
        );
    }
    m
}

pub struct Options {
    pub realm: bool,
    pub gun_prefixes: Option<Vec<String>>,
    pub autoredirect: bool,
    /// Extra `auth` JSON replacing the generated one (startup error tests).
    pub auth_override: Option<serde_json::Value>,
    pub log_level: &'static str,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            realm: true,
            gun_prefixes: None,
            autoredirect: false,
            auth_override: None,
            log_level: "info",
        }
    }
}

/// A running server with token auth. Field order = drop order.
pub struct AuthServer {
    pub url: String,
    pub port: u16,
    pub realm_url: String,
    pub proc: Proc,
    pub realm: Option<Realm>,
    /// A signing key chained to the bundle (a second one the realm does not use).
    pub key: TokenKey,
    pub ca: TokenCa,
    pub pki: DevPki,
    /// Kept for its lifetime (dropped after the server).
    _db: TestDb,
    pub dir: TempDir,
}

pub fn write_config(
    dir: &Path,
    port: u16,
    db: &TestDb,
    pki: &DevPki,
    auth: serde_json::Value,
    opts: &Options,
) -> PathBuf {
    let mut cfg = json!({
        "server": {"http_addr": format!("127.0.0.1:{port}"),
            "tls_cert_file": pki.server_cert, "tls_key_file": pki.server_key},
        "trust_service": {"type": "local"},
        "storage": {"backend": db.config_backend, "db_url": db.url},
        "logging": {"level": opts.log_level},
        "auth": auth,
    });
    if let Some(p) = &opts.gun_prefixes {
        cfg["repositories"] = json!({"gun_prefixes": p});
    }
    let path = dir.join(format!("server-{port}.json"));
    std::fs::write(&path, cfg.to_string()).unwrap();
    path
}

pub fn spawn(config: &Path, dir: &Path, port: u16) -> Proc {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_notary-server"));
    cmd.arg("-config").arg(config).arg("-logf").arg("text");
    Proc::spawn("notary-server", cmd, dir.join(format!("server-{port}.log")))
}

impl AuthServer {
    pub fn start(opts: Options) -> AuthServer {
        let dir = tempfile::tempdir().unwrap();
        let pki = notary_devcerts::generate(&dir.path().join("pki")).unwrap();
        let db = TestDb::new(Backend::Sqlite, dir.path());
        let ca = TokenCa::new("Test Token CA");
        let bundle = dir.path().join("token-root.crt");
        std::fs::write(&bundle, ca.pem()).unwrap();
        let realm = opts.realm.then(|| {
            Realm::start(
                &pki,
                RealmState {
                    issuer: ISSUER.into(),
                    key: ca.signing_key("realm signer"),
                    accounts: accounts(),
                    requests: Mutex::new(Vec::new()),
                },
            )
        });
        let realm_url = realm
            .as_ref()
            .map(|r| r.url.clone())
            .unwrap_or_else(|| "https://auth.example.com/token".into());
        let mut options = json!({"realm": realm_url, "service": SERVICE, "issuer": ISSUER,
            "rootcertbundle": "token-root.crt"});
        if opts.autoredirect {
            options["autoredirect"] = json!(true);
        }
        let auth = opts
            .auth_override
            .clone()
            .unwrap_or_else(|| json!({"type": "token", "options": options}));
        let port = free_port();
        let config_path = write_config(dir.path(), port, &db, &pki, auth, &opts);
        let proc = spawn(&config_path, dir.path(), port);
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "notary-server did not start: {}",
                proc.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let key = ca.signing_key("direct signer");
        AuthServer {
            url: format!("https://127.0.0.1:{port}"),
            port,
            realm_url,
            proc,
            realm,
            key,
            ca,
            pki,
            _db: db,
            dir,
        }
    }

    pub fn client(&self) -> reqwest::Client {
        crate::support::client(&self.pki)
    }

    pub fn trust_dir(&self, name: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::create_dir_all(&p).unwrap();
        p
    }

    /// The real notary CLI; `user` logs in through `NOTARY_AUTH` with that account's password.
    pub fn notary(&self, trust_dir: &Path, user: Option<&str>, args: &[&str]) -> (bool, String) {
        let mut cmd = Command::new("/usr/bin/notary");
        cmd.arg("-s")
            .arg(&self.url)
            .arg("--tlscacert")
            .arg(&self.pki.root_ca)
            .arg("-d")
            .arg(trust_dir)
            .args(args)
            .env("NOTARY_ROOT_PASSPHRASE", "root-pass-1234")
            .env("NOTARY_TARGETS_PASSPHRASE", "targets-pass-1234")
            .env("NOTARY_SNAPSHOT_PASSPHRASE", "snapshot-pass-1234")
            .env("NOTARY_DELEGATION_PASSPHRASE", "delegation-pass-1234")
            .env("HOME", trust_dir)
            .env_remove("NOTARY_AUTH")
            .stdin(Stdio::null());
        if let Some(u) = user {
            use base64::Engine as _;
            let creds = format!("{u}:{u}-secret");
            cmd.env(
                "NOTARY_AUTH",
                base64::engine::general_purpose::STANDARD.encode(creds),
            );
        }
        let out = cmd.output().expect("notary CLI");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    }

    pub fn log(&self) -> String {
        self.proc.log_text()
    }
}

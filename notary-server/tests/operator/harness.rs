//! A notary-signer + notary-server pair with their own databases (two separate databases on the
//! same backend, as in a real deployment), the `admin` subcommands, and HTTP probes.

use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use notary_testkit::{Backend, Opts, Proc, Server, SignerKind, TestDb};

/// Signer and server running, each on its own database (the [`Server`] it derefs to).
pub struct Stack {
    rt: tokio::runtime::Runtime,
    client: reqwest::Client,
    pub server: Server,
}

impl Deref for Stack {
    type Target = Server;

    fn deref(&self) -> &Server {
        &self.server
    }
}

impl DerefMut for Stack {
    fn deref_mut(&mut self) -> &mut Server {
        &mut self.server
    }
}

impl Stack {
    pub fn start(backend: Backend) -> Stack {
        let mut opts = Opts::new(backend, SignerKind::Rust);
        opts.signer_backend = backend;
        let server = Server::start(opts);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let client = server.client();
        Stack { rt, client, server }
    }

    /// The signer process.
    pub fn signer_proc(&self) -> &Proc {
        &self.signer.as_ref().expect("signer").proc
    }

    /// The signer's database.
    pub fn signer_db(&self) -> &TestDb {
        &self.signer.as_ref().expect("signer").db
    }

    pub fn kill_signer(&mut self) {
        self.signer.as_mut().expect("signer").proc.kill();
    }

    /// `notary init <gun> -p`, then one target added and published.
    pub fn init_with_target(&self, trust: &Path, gun: &str) {
        self.server.notary_ok(trust, &["init", gun, "-p"]);
        self.add_and_publish(trust, gun, "first");
    }

    /// Adds a target file named `name` (staged, not published yet).
    pub fn add_target(&self, trust: &Path, gun: &str, name: &str) {
        let file = self.dir.path().join(format!("{name}.txt"));
        std::fs::write(&file, format!("content of {name}")).expect("target file");
        let file = file.to_string_lossy().into_owned();
        self.server.notary_ok(trust, &["add", gun, name, &file]);
    }

    /// Adds a target file named `name` and publishes.
    pub fn add_and_publish(&self, trust: &Path, gun: &str, name: &str) {
        self.add_target(trust, gun, name);
        self.server.notary_ok(trust, &["publish", gun]);
    }

    /// Adds a target file named `name` and publishes, which must fail; returns the CLI output.
    pub fn add_and_fail_to_publish(&self, trust: &Path, gun: &str, name: &str) -> String {
        self.add_target(trust, gun, name);
        let (ok, out) = self.server.notary(trust, &["publish", gun], None);
        assert!(!ok, "publish of {name} to {gun} succeeded: {out}");
        out
    }

    /// The key-loss runbook's signer statement, verbatim: the GUN's keys are deleted.
    pub fn delete_signer_keys(&self, gun: &str) {
        self.signer_db()
            .sql(&format!("delete from private_keys where gun='{gun}';"));
    }

    /// `notary-server admin -config <server config> <args>` → (success, stdout+stderr).
    pub fn admin(&self, args: &[&str]) -> (bool, String) {
        notary_testkit::run_command(
            Command::new(env!("CARGO_BIN_EXE_notary-server"))
                .arg("admin")
                .arg("-config")
                .arg(&self.config_path)
                .args(args),
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
        self.signer_db()
            .sql(&format!(
                "select count(*) from private_keys where gun='{gun}' and deleted_at is null;"
            ))
            .trim()
            .parse()
            .expect("count")
    }

    /// Number of tuf_files rows of (gun, role).
    pub fn rows(&self, gun: &str, role: &str) -> usize {
        self.db
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

//! Adoption of a Go deployment, both directions, with the real `notary` CLI.
//!
//! 1. The Go notary-signer + notary-server (Debian package `notary`, remote trust service over
//!    mTLS) run on two PostgreSQL databases prepared exactly as golang-migrate leaves them (the Go
//!    tables plus its `schema_migrations` bookkeeping). The CLI initialises two repositories and
//!    publishes a target to each; the second one's snapshot key is made server-managed.
//! 2. Our signer and server start on the same databases: their migrations adopt the Go tables,
//!    a fresh client sees what Go published, and new publishes work (our signer signs with the
//!    keys the Go signer created). Our side also rotates the server-managed keys, so the signer
//!    database then holds keys our signer wrote.
//! 3. The Go pair starts again on the same databases: it serves everything and signs new
//!    publishes with the keys our signer wrote and the rows our side used.

use std::path::{Path, PathBuf};

use notary_testkit::{
    launch, notary_cli, server_config, signer_config, Backend, Env, Proc, Program, Role, TestDb,
};

/// The signer's passphrase alias (`storage.default_alias`) and its environment variable.
const ALIAS: &str = "adoptalias";
const ALIAS_ENV: &str = "NOTARY_SIGNER_ADOPTALIAS";
const PASSPHRASE: &str = "adoption-test-passphrase";

const CLIENT_SNAPSHOT_GUN: &str = "example.com/adoption/client-snapshot";
const SERVER_SNAPSHOT_GUN: &str = "example.com/adoption/server-snapshot";

/// Which implementation of the notary-signer + notary-server pair runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Impl {
    Go,
    Ours,
}

/// Applies a Go schema fixture and records it the way golang-migrate does.
fn apply_go_schema(db: &TestDb, fixture: &str, migrate_version: u32) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/go-schema")
        .join(fixture);
    db.sql(&std::fs::read_to_string(&path).expect("go schema fixture"));
    db.sql(&format!(
        "CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);
         INSERT INTO schema_migrations VALUES ({migrate_version}, false);"
    ));
}

/// The databases, PKI and working directory shared by every pair that runs.
struct Deployment {
    // Dropped after any `Pair` (declared later in the test, dropped earlier).
    server_db: TestDb,
    signer_db: TestDb,
    env: Env,
}

impl Deployment {
    fn new() -> Deployment {
        let env = Env::new();
        let server_db = TestDb::new(Backend::Postgres);
        let signer_db = TestDb::new(Backend::Postgres);
        // Go Notary 0.7: server migrations 0001 + 0002, signer migration 0001.
        apply_go_schema(&server_db, "server-postgresql.sql", 2);
        apply_go_schema(&signer_db, "signer-postgresql.sql", 1);
        Deployment {
            server_db,
            signer_db,
            env,
        }
    }

    /// A new, empty trust directory.
    fn trust_dir(&self, name: &str) -> PathBuf {
        self.env.subdir(name)
    }

    /// A target file with some content; returns its path.
    fn target_file(&self, name: &str) -> String {
        let p = self
            .env
            .file(&format!("{name}.bin"), format!("content of {name}"));
        p.to_string_lossy().into_owned()
    }

    /// Starts a signer and a server of `kind` on the deployment's databases.
    fn start(&self, kind: Impl, run: &str) -> Pair {
        let (pki, dir) = (&self.env.pki, self.env.path());
        let (signer, server) = match kind {
            Impl::Go => (Program::go_signer(), Program::go_server()),
            Impl::Ours => (Program::signer(), Program::server()),
        };
        let cfg = signer_config(pki, &self.signer_db, ALIAS);
        let envs = [(ALIAS_ENV, PASSPHRASE)];
        let signer = launch(
            &signer,
            Role::Signer,
            pki,
            dir,
            &format!("signer-{run}"),
            cfg,
            &[],
            &envs,
        );
        let cfg = server_config(pki, &self.server_db, Some(signer.port()));
        let server = launch(
            &server,
            Role::Server,
            pki,
            dir,
            &format!("server-{run}"),
            cfg,
            &[],
            &[],
        );
        Pair {
            url: server.url(),
            ca: pki.root_ca.clone(),
            server: server.proc,
            signer: signer.proc,
        }
    }

    /// Live keys in the signer database matching `cond`.
    fn keys(&self, cond: &str) -> usize {
        self.signer_db
            .sql(&format!(
                "SELECT count(*) FROM private_keys WHERE deleted_at IS NULL AND {cond};"
            ))
            .trim()
            .parse()
            .expect("count")
    }

    /// The key IDs of a GUN's live keys of one role, sorted.
    fn key_ids(&self, gun: &str, role: &str) -> Vec<String> {
        self.signer_db
            .sql(&format!(
                "SELECT key_id FROM private_keys WHERE deleted_at IS NULL AND gun = '{gun}' \
                 AND role = '{role}' ORDER BY key_id;"
            ))
            .lines()
            .map(str::to_string)
            .collect()
    }
}

/// A running signer + server; both are killed when it is dropped.
struct Pair {
    url: String,
    ca: PathBuf,
    // Field order = drop order: the server stops before its signer.
    server: Proc,
    signer: Proc,
}

impl Pair {
    /// The notary CLI; panics with its output and both logs when it fails.
    fn notary_ok(&self, trust: &Path, args: &[&str]) -> String {
        let (ok, out) = notary_cli(&self.url, &self.ca, trust, args, None);
        assert!(
            ok,
            "notary {args:?} failed against the {} pair:\n{out}\nserver log:\n{}\nsigner log:\n{}",
            self.server.name,
            self.server.log_text(),
            self.signer.log_text()
        );
        out
    }

    /// `notary add -p`; asserts the publish succeeded.
    fn add_published(&self, trust: &Path, gun: &str, name: &str, file: &str) {
        let out = self.notary_ok(trust, &["add", "-p", gun, name, file]);
        assert!(
            out.contains(&format!(
                "Successfully published changes for repository {gun}"
            )),
            "add {name} to {gun}: {out}"
        );
    }

    /// `notary key rotate <gun> <role> -r`; asserts the rotation succeeded.
    fn rotate_remote(&self, trust: &Path, gun: &str, role: &str) {
        let out = self.notary_ok(trust, &["key", "rotate", gun, role, "-r"]);
        assert!(
            out.contains(&format!(
                "Successfully rotated {role} key for repository {gun}"
            )),
            "rotate {role} of {gun}: {out}"
        );
    }

    /// `notary list <gun>` from a fresh trust directory; asserts every `expected` target is
    /// listed.
    fn assert_lists(&self, trust: &Path, gun: &str, expected: &[&str]) {
        let out = self.notary_ok(trust, &["list", gun]);
        let names: Vec<&str> = out
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        for t in expected {
            assert!(names.contains(t), "{t} not listed for {gun}:\n{out}");
        }
    }
}

#[test]
fn go_deployment_adopted_and_handed_back() {
    let dep = Deployment::new();
    let (a, b) = (CLIENT_SNAPSHOT_GUN, SERVER_SNAPSHOT_GUN);
    let trust = dep.trust_dir("trust-publisher");
    let file = dep.target_file("artifact");

    // 1. The Go deployment publishes.
    {
        let go = dep.start(Impl::Go, "go-1");
        go.notary_ok(&trust, &["init", "-p", a]);
        go.add_published(&trust, a, "v1-go", &file);
        go.notary_ok(&trust, &["init", "-p", b]);
        go.rotate_remote(&trust, b, "snapshot");
        go.add_published(&trust, b, "v1-go", &file);
    }
    assert_eq!(dep.keys(&format!("gun = '{a}' AND role = 'timestamp'")), 1);
    assert_eq!(dep.keys(&format!("gun = '{a}' AND role = 'snapshot'")), 0);
    assert_eq!(dep.keys(&format!("gun = '{b}' AND role = 'timestamp'")), 1);
    assert_eq!(dep.keys(&format!("gun = '{b}' AND role = 'snapshot'")), 1);
    assert_eq!(dep.keys(&format!("passphrase_alias = '{ALIAS}'")), 3);
    let go_timestamp_a = dep.key_ids(a, "timestamp");
    let go_snapshot_b = dep.key_ids(b, "snapshot");
    let go_rows: usize = dep
        .server_db
        .sql("SELECT count(*) FROM tuf_files;")
        .trim()
        .parse()
        .expect("count");

    // 2. Ours adopts the databases: serves Go's data, signs with the Go signer's keys.
    {
        let ours = dep.start(Impl::Ours, "ours");
        // The migrations left every Go row alone.
        let rows: usize = dep
            .server_db
            .sql("SELECT count(*) FROM tuf_files;")
            .trim()
            .parse()
            .expect("count");
        assert_eq!(rows, go_rows, "adoption changed tuf_files");
        assert_eq!(
            dep.server_db
                .sql("SELECT version, dirty FROM schema_migrations;")
                .trim(),
            "2|f"
        );
        assert_eq!(dep.keys("true"), 3, "adoption changed private_keys");

        for gun in [a, b] {
            ours.assert_lists(
                &dep.trust_dir(&format!("fresh-ours-{gun}")),
                gun,
                &["v1-go"],
            );
            // Timestamp (and for `b` the snapshot) signed by our signer with Go's keys.
            ours.add_published(&trust, gun, "v2-ours", &file);
            ours.assert_lists(
                &dep.trust_dir(&format!("fresh-ours-after-{gun}")),
                gun,
                &["v1-go", "v2-ours"],
            );
        }
        // Keys our signer writes: a new timestamp key for `a`, a new snapshot key for `b`.
        ours.rotate_remote(&trust, a, "timestamp");
        ours.rotate_remote(&trust, b, "snapshot");
        ours.add_published(&trust, a, "v3-ours-new-keys", &file);
        ours.add_published(&trust, b, "v3-ours-new-keys", &file);
    }
    let ours_timestamp_a: Vec<String> = dep
        .key_ids(a, "timestamp")
        .into_iter()
        .filter(|k| !go_timestamp_a.contains(k))
        .collect();
    let ours_snapshot_b: Vec<String> = dep
        .key_ids(b, "snapshot")
        .into_iter()
        .filter(|k| !go_snapshot_b.contains(k))
        .collect();
    assert_eq!(
        ours_timestamp_a.len(),
        1,
        "our signer's timestamp key for {a}"
    );
    assert_eq!(
        ours_snapshot_b.len(),
        1,
        "our signer's snapshot key for {b}"
    );
    assert_eq!(dep.keys(&format!("passphrase_alias = '{ALIAS}'")), 5);
    for id in ours_timestamp_a.iter().chain(&ours_snapshot_b) {
        assert_eq!(
            dep.keys(&format!("key_id = '{id}' AND last_used IS NOT NULL")),
            1,
            "our signer signed with {id}"
        );
    }

    let last_used = |id: &str| {
        dep.signer_db
            .sql(&format!(
                "SELECT last_used FROM private_keys WHERE key_id = '{id}';"
            ))
            .trim()
            .to_string()
    };
    let used_by_ours: Vec<String> = ours_timestamp_a
        .iter()
        .chain(&ours_snapshot_b)
        .map(|id| last_used(id))
        .collect();

    // 3. The Go pair takes the databases back: serves everything, signs with our keys.
    {
        let go = dep.start(Impl::Go, "go-2");
        let all = ["v1-go", "v2-ours", "v3-ours-new-keys"];
        for gun in [a, b] {
            go.assert_lists(&dep.trust_dir(&format!("fresh-go-{gun}")), gun, &all);
            go.add_published(&trust, gun, "v4-go-again", &file);
            go.assert_lists(
                &dep.trust_dir(&format!("fresh-go-after-{gun}")),
                gun,
                &["v1-go", "v2-ours", "v3-ours-new-keys", "v4-go-again"],
            );
        }
    }
    for (id, before) in ours_timestamp_a
        .iter()
        .chain(&ours_snapshot_b)
        .zip(used_by_ours)
    {
        assert_ne!(
            last_used(id),
            before,
            "the Go signer did not sign with {id}"
        );
    }
}

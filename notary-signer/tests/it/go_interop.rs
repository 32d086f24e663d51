//! Interop with the real Go Notary 0.7 binaries (Debian package `notary`):
//! * the Go notary-signer and ours share one PostgreSQL `private_keys` table and each signs
//!   with keys the other stored;
//! * the Go notary-server uses our signer as its trust service while the real `notary` CLI
//!   initialises, publishes, lists and rotates server-managed keys.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use crate::support::*;

const GO_SIGNER: &str = "/usr/bin/notary-signer";
const GO_SERVER: &str = "/usr/bin/notary-server";
const NOTARY_CLI: &str = "/usr/bin/notary";

/// A child process killed on drop.
struct Proc(tokio::process::Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.start_kill();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn spawn(program: &str, config: &Path, log: &Path, envs: &[(&str, &str)]) -> Proc {
    let log = std::fs::File::create(log).unwrap();
    let mut cmd = tokio::process::Command::new(program);
    cmd.arg("-config")
        .arg(config)
        .stdout(Stdio::null())
        .stderr(log)
        .kill_on_drop(true);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    Proc(
        cmd.spawn()
            .unwrap_or_else(|e| panic!("cannot start {program}: {e}")),
    )
}

/// Waits for a signer (ours or Go's) to answer health checks over mTLS.
async fn signer_clients(env: &Env, port: u16, log: &Path) -> Clients {
    let addr = format!("127.0.0.1:{port}").parse().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let id = Some((env.pki.server_cert.as_path(), env.pki.server_key.as_path()));
        if let Ok(ch) = try_channel(env, addr, id).await {
            let mut c = Clients::new(ch);
            if c.health("grpc.health.v1.Health.Signer").await.is_ok() {
                return c;
            }
        }
        if std::time::Instant::now() > deadline {
            panic!(
                "signer on {port} did not come up; log:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn pg_url_for_go(db: &TestDb) -> String {
    format!("{}?sslmode=disable", db.url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_signer_and_ours_share_the_key_table() {
    let env = Env::new();
    let secret = "interop secret";
    env.set_passphrase("interop", secret);
    let db = TestDb::create(Db::Postgres);
    let opts = Options {
        alias: "interop".into(),
        ..Options::mtls(&env)
    };
    // Ours first: its migrations create the table the Go signer then uses.
    let ours = TestSigner::start(&env, &db, &opts).await;
    let mut rust = Clients::new(server_channel(&env, ours.addr).await);
    rust.health("").await.unwrap();

    let port = free_port();
    let config = serde_json::json!({
        "server": {"grpc_addr": format!("127.0.0.1:{port}"),
                   "tls_cert_file": env.pki.signer_cert, "tls_key_file": env.pki.signer_key,
                   "client_ca_file": env.pki.ca_bundle},
        "logging": {"level": "debug"},
        "storage": {"backend": "postgres", "db_url": pg_url_for_go(&db),
                    "default_alias": "interop"},
    });
    let cfg_path = env.path().join("go-signer.json");
    std::fs::write(&cfg_path, config.to_string()).unwrap();
    let log = env.path().join("go-signer.log");
    let _go_proc = spawn(
        GO_SIGNER,
        &cfg_path,
        &log,
        &[("NOTARY_SIGNER_INTEROP", secret)],
    );
    let mut go = signer_clients(&env, port, &log).await;

    for alg in ["ecdsa", "ed25519"] {
        // Stored by us, used by Go.
        let key = rust.create(alg, "interop/ours", "timestamp").await.unwrap();
        let id = id_of(&key.key_info);
        let info = go.info(&id).await.unwrap();
        assert_eq!(info.public_key, key.public_key, "{alg}");
        assert_eq!(info.role, "timestamp");
        assert_eq!(alg_of(&info.key_info), alg);
        let msg = format!("signed by Go with a {alg} key stored by Rust");
        let sig = go.sign(&id, msg.as_bytes()).await.unwrap();
        verify(alg, &key.public_key, msg.as_bytes(), &sig.content);

        // Stored by Go, used by us.
        let key = go.create(alg, "interop/go", "snapshot").await.unwrap();
        let id = id_of(&key.key_info);
        assert_eq!(id, notary_signer::crypto::key_id(alg, &key.public_key));
        let info = rust.info(&id).await.unwrap();
        assert_eq!(info.public_key, key.public_key, "{alg}");
        assert_eq!(info.role, "snapshot");
        let msg = format!("signed by Rust with a {alg} key stored by Go");
        let sig = rust.sign(&id, msg.as_bytes()).await.unwrap();
        verify(alg, &key.public_key, msg.as_bytes(), &sig.content);
    }
    assert_eq!(db.count_keys("passphrase_alias = 'interop'"), 4);
    assert_eq!(
        db.count_keys("keywrap_alg = 'PBES2-HS256+A128KW' AND encryption_alg = 'A256GCM'"),
        4
    );
}

/// The Go notary-server tables (the Go binaries never create them).
const SERVER_SCHEMA: &str = include_str!("../../../fixtures/go-schema/server-postgresql.sql");

/// Runs the notary CLI; returns (success, stdout + stderr).
async fn notary(env: &Env, server: &str, args: &[&str]) -> (bool, String) {
    let out = tokio::process::Command::new(NOTARY_CLI)
        .arg("-s")
        .arg(server)
        .arg("--tlscacert")
        .arg(&env.pki.root_ca)
        .arg("-d")
        .arg(env.path().join("trust"))
        .args(args)
        .env("NOTARY_ROOT_PASSPHRASE", "root pass phrase")
        .env("NOTARY_TARGETS_PASSPHRASE", "targets pass phrase")
        .env("NOTARY_SNAPSHOT_PASSPHRASE", "snapshot pass phrase")
        .env("NOTARY_DELEGATION_PASSPHRASE", "delegation pass phrase")
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_server_and_notary_cli_with_our_signer() {
    let env = Env::new();
    env.set_passphrase("cli_alias", "cli secret");
    // Our signer on SQLite (the Go server does not care), pinned to notary-server's
    // certificate bundle like Go's sample configs.
    let signer_db = TestDb::create(Db::Sqlite);
    let opts = Options {
        client_ca: Some(env.pki.server_cert.clone()),
        alias: "cli_alias".into(),
    };
    let signer = TestSigner::start(&env, &signer_db, &opts).await;
    Clients::new(server_channel(&env, signer.addr).await)
        .health("")
        .await
        .unwrap();

    let server_db = TestDb::create(Db::Postgres);
    server_db.execute(SERVER_SCHEMA);
    let port = free_port();
    let config = serde_json::json!({
        "server": {"http_addr": format!("127.0.0.1:{port}"),
                   "tls_cert_file": env.pki.server_cert, "tls_key_file": env.pki.server_key},
        "trust_service": {"type": "remote", "hostname": "localhost",
                          "port": signer.addr.port().to_string(),
                          "tls_ca_file": env.pki.root_ca, "key_algorithm": "ecdsa",
                          "tls_client_cert": env.pki.server_cert,
                          "tls_client_key": env.pki.server_key},
        "storage": {"backend": "postgres", "db_url": pg_url_for_go(&server_db)},
        "logging": {"level": "debug"},
    });
    let cfg_path = env.path().join("go-server.json");
    std::fs::write(&cfg_path, config.to_string()).unwrap();
    let log = env.path().join("go-server.log");
    let _server = spawn(GO_SERVER, &cfg_path, &log, &[]);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "notary-server did not start: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let url = format!("https://localhost:{port}");
    let gun = "example.com/trust/app";
    let target = env.path().join("artifact.bin");
    std::fs::write(&target, b"some release artifact").unwrap();
    let target = target.to_str().unwrap();
    let server_log = || std::fs::read_to_string(&log).unwrap_or_default();

    let (ok, out) = notary(&env, &url, &["init", "-p", gun]).await;
    assert!(ok, "init: {out}\n{}", server_log());
    assert_eq!(
        signer_db.count_keys(&format!("gun = '{gun}' AND role = 'timestamp'")),
        1
    );

    let (ok, out) = notary(&env, &url, &["add", "-p", gun, "v1", target]).await;
    assert!(
        ok && out.contains("Successfully published changes"),
        "add: {out}"
    );
    let (ok, out) = notary(&env, &url, &["list", gun]).await;
    assert!(ok && out.contains("v1"), "list: {out}");

    for role in ["snapshot", "timestamp"] {
        let (ok, out) = notary(&env, &url, &["key", "rotate", gun, role, "-r"]).await;
        assert!(
            ok && out.contains(&format!(
                "Successfully rotated {role} key for repository {gun}"
            )),
            "rotate {role}: {out}\n{}",
            server_log()
        );
    }
    assert_eq!(
        signer_db.count_keys(&format!("gun = '{gun}' AND role = 'snapshot'")),
        1
    );
    assert_eq!(
        signer_db.count_keys(&format!("gun = '{gun}' AND role = 'timestamp'")),
        2
    );

    // After the rotations the server signs snapshot and timestamp with our keys.
    let (ok, out) = notary(&env, &url, &["add", "-p", gun, "v2", target]).await;
    assert!(
        ok && out.contains("Successfully published changes"),
        "add v2: {out}"
    );
    let (ok, out) = notary(&env, &url, &["list", gun]).await;
    assert!(
        ok && out.contains("v1") && out.contains("v2"),
        "list: {out}"
    );
    assert_eq!(
        signer_db.count_keys(&format!("gun = '{gun}' AND last_used IS NOT NULL")),
        3,
        "timestamp (old and new) and snapshot keys have signed"
    );
}

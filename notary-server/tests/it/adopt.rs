//! A Go notary-server deployment's database is adopted in place: the Go server publishes with
//! the real CLI, then our server starts on the same database (its idempotent migrations touch
//! nothing) and serves the same repository to a fresh client.

use std::process::Command;

use crate::support::{free_port, notary_cli, Backend, Opts, Proc, Server, SignerKind, TestDb};

async fn adopt(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let pki = notary_devcerts::generate(&dir.path().join("pki")).unwrap();
    let db = TestDb::new(backend, dir.path());
    // The schema as golang-migrate leaves it (our migration files are that DDL).
    let sub = match backend {
        Backend::Postgres => "postgresql",
        Backend::Mysql => "mysql",
        Backend::Sqlite => unreachable!("the Go server has no sqlite driver"),
    };
    let migrations = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../migrations/server")
        .join(sub);
    for e in std::fs::read_dir(migrations).unwrap() {
        db.sql(&std::fs::read_to_string(e.unwrap().path().join("up.sql")).unwrap());
    }

    let port = free_port();
    let cfg = serde_json::json!({
        "server": {"http_addr": format!("127.0.0.1:{port}"),
            "tls_cert_file": pki.server_cert, "tls_key_file": pki.server_key},
        "trust_service": {"type": "local", "key_algorithm": "ecdsa"},
        "storage": {"backend": db.config_backend, "db_url": db.url},
        "logging": {"level": "error"}
    });
    let cfg_path = dir.path().join("go-server.json");
    std::fs::write(&cfg_path, cfg.to_string()).unwrap();
    let mut cmd = Command::new("/usr/bin/notary-server");
    cmd.arg("-config").arg(&cfg_path);
    let mut go = Proc::spawn("go-notary-server", cmd, dir.path().join("go-server.log"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(std::time::Instant::now() < deadline, "{}", go.log_text());
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let go_url = format!("https://127.0.0.1:{port}");
    let gun = "docker.io/adopt/repo";
    let td = dir.path().join("trust-go");
    std::fs::create_dir_all(&td).unwrap();
    let file = dir.path().join("f.txt");
    std::fs::write(&file, b"adopted").unwrap();
    for args in [
        vec!["init", "-p", gun],
        vec!["add", "-p", gun, "v-go", file.to_str().unwrap()],
    ] {
        let (ok, out) = notary_cli(&go_url, &pki.root_ca, &td, &args, None);
        assert!(ok, "{out}\n{}", go.log_text());
    }
    go.kill();

    let s = Server::start_with(Opts::new(backend, SignerKind::Local), dir, pki, db, None);
    let fresh = s.trust_dir("trust-fresh");
    let (ok, out) = s.notary(&fresh, &["list", gun], None);
    assert!(ok && out.contains("v-go"), "{out}\n{}", s.proc.log_text());
    let r = s
        .client()
        .get(format!("{}/v2/{gun}/_trust/changefeed?records=10", s.url))
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(v["count"], 2, "{v}");
}

/// The reverse: rows our server wrote are served by the Go server to a fresh client.
async fn go_reads_ours(backend: Backend) {
    let s = Server::start(Opts::new(backend, SignerKind::Local));
    let gun = "docker.io/reverse/repo";
    let td = s.trust_dir("trust-ours");
    let file = s.dir.path().join("f.txt");
    std::fs::write(&file, b"ours").unwrap();
    for args in [
        vec!["init", "-p", gun],
        vec!["add", "-p", gun, "v-rust", file.to_str().unwrap()],
    ] {
        let (ok, out) = s.notary(&td, &args, None);
        assert!(ok, "{out}");
    }
    let port = free_port();
    let cfg = serde_json::json!({
        "server": {"http_addr": format!("127.0.0.1:{port}"),
            "tls_cert_file": s.pki.server_cert, "tls_key_file": s.pki.server_key},
        "trust_service": {"type": "local", "key_algorithm": "ecdsa"},
        "storage": {"backend": s.db.config_backend, "db_url": s.db.url},
        "logging": {"level": "error"}
    });
    let cfg_path = s.dir.path().join("go-reader.json");
    std::fs::write(&cfg_path, cfg.to_string()).unwrap();
    let mut cmd = Command::new("/usr/bin/notary-server");
    cmd.arg("-config").arg(&cfg_path);
    let go = Proc::spawn("go-notary-server", cmd, s.dir.path().join("go-reader.log"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(std::time::Instant::now() < deadline, "{}", go.log_text());
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let fresh = s.trust_dir("trust-go-reader");
    let (ok, out) = notary_cli(
        &format!("https://127.0.0.1:{port}"),
        &s.pki.root_ca,
        &fresh,
        &["list", gun],
        None,
    );
    assert!(ok && out.contains("v-rust"), "{out}\n{}", go.log_text());
}

#[tokio::test]
async fn go_reads_our_database_postgres() {
    go_reads_ours(Backend::Postgres).await;
}

#[tokio::test]
async fn go_reads_our_database_mysql() {
    go_reads_ours(Backend::Mysql).await;
}

#[tokio::test]
async fn go_database_adopted_postgres() {
    adopt(Backend::Postgres).await;
}

#[tokio::test]
async fn go_database_adopted_mysql() {
    adopt(Backend::Mysql).await;
}

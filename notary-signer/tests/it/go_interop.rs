//! Interop with the real Go Notary 0.7 binaries (Debian package `notary`):
//! * the Go notary-signer and ours share one PostgreSQL `private_keys` table and each signs
//!   with keys the other stored;
//! * the Go notary-server uses our signer as its trust service while the real `notary` CLI
//!   initialises, publishes, lists and rotates server-managed keys.

use std::time::Duration;

use notary_testkit::{launch, server_config, signer_config, Program, Role};

use crate::support::*;

/// Waits for a signer to answer health checks over mTLS as notary-server.
async fn healthy(env: &Env, addr: std::net::SocketAddr) -> Clients {
    let c = Clients::new(server_channel(env, addr).await);
    let probe = c.health.clone();
    let up = eventually(Duration::from_secs(20), || {
        let mut h = probe.clone();
        async move {
            h.check(tonic_health::pb::HealthCheckRequest {
                service: "grpc.health.v1.Health.Signer".into(),
            })
            .await
            .is_ok()
        }
    })
    .await;
    assert!(up, "signer on {addr} did not become healthy");
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_signer_and_ours_share_the_key_table() {
    let env = Env::new();
    let secret = "interop secret";
    env.set_passphrase("interop", secret);
    let db = TestDb::new(Db::Postgres);
    let opts = Options {
        alias: "interop".into(),
        ..Options::mtls(&env)
    };
    // Ours first: its migrations create the table the Go signer then uses.
    let ours = TestSigner::start(&env, &db, &opts).await;
    let mut rust = Clients::new(server_channel(&env, ours.addr).await);
    rust.health("").await.unwrap();

    let mut config = signer_config(&env.pki, &db, "interop");
    config["logging"]["level"] = "debug".into();
    let go_signer = launch(
        &Program::go_signer(),
        Role::Signer,
        &env.pki,
        env.path(),
        "go-signer",
        config,
        &[],
        &[("NOTARY_SIGNER_INTEROP", secret)],
    );
    let mut go = healthy(&env, go_signer.addr).await;

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

/// Runs the notary CLI (off the runtime's threads: our signer runs on them); returns
/// (success, stdout + stderr).
async fn notary(env: &Env, server: &str, args: &[&str]) -> (bool, String) {
    let (url, ca, trust) = (
        server.to_string(),
        env.pki.root_ca.clone(),
        env.subdir("trust"),
    );
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        notary_testkit::notary_cli(&url, &ca, &trust, &args, None)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_server_and_notary_cli_with_our_signer() {
    let env = Env::new();
    env.set_passphrase("cli_alias", "cli secret");
    // Our signer on SQLite (the Go server does not care), pinned to notary-server's
    // certificate bundle like Go's sample configs.
    let signer_db = TestDb::new(Db::Sqlite);
    let opts = Options {
        client_ca: Some(env.pki.server_cert.clone()),
        alias: "cli_alias".into(),
    };
    let signer = TestSigner::start(&env, &signer_db, &opts).await;
    Clients::new(server_channel(&env, signer.addr).await)
        .health("")
        .await
        .unwrap();

    let server_db = TestDb::new(Db::Postgres);
    server_db.sql(SERVER_SCHEMA);
    let mut config = server_config(&env.pki, &server_db, Some(signer.addr.port()));
    config["logging"]["level"] = "debug".into();
    let go_server = launch(
        &Program::go_server(),
        Role::Server,
        &env.pki,
        env.path(),
        "go-server",
        config,
        &[],
        &[],
    );
    let url = go_server.url();
    let gun = "example.com/trust/app";
    let target = env.path().join("artifact.bin");
    std::fs::write(&target, b"some release artifact").unwrap();
    let target = target.to_str().unwrap();
    let server_log = || go_server.proc.log_text();

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

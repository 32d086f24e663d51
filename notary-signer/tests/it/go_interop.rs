//! Interop with the real Go Notary 0.7 binaries (Debian package `notary`):
//! * the Go notary-signer and ours share one PostgreSQL `private_keys` table and each signs
//!   with keys the other stored;
//! * the Go notary-server uses our signer as its trust service while the real `notary` CLI
//!   initialises, publishes, lists and rotates server-managed keys.

use std::time::Duration;

use serde_json::Value;

use notary_testkit::{launch, server_config, signer_config, Program, Role, Service};

use crate::support::*;

/// Starts Go's binary for `role` (`go-signer` or `go-server` in `env`'s directory) with
/// `config` at debug level and the extra environment `envs`.
fn launch_go(env: &Env, role: Role, mut config: Value, envs: &[(&str, &str)]) -> Service {
    config["logging"]["level"] = "debug".into();
    let (program, name) = match role {
        Role::Signer => (Program::go_signer(), "go-signer"),
        Role::Server => (Program::go_server(), "go-server"),
    };
    launch(
        &program,
        role,
        &env.pki,
        env.path(),
        name,
        config,
        &[],
        envs,
    )
}

/// Waits for a signer to answer health checks over mTLS as notary-server.
async fn healthy(env: &Env, addr: std::net::SocketAddr) -> Clients {
    let c = Clients::new(server_channel(env, addr).await);
    let up = c
        .health_eventually(
            "grpc.health.v1.Health.Signer",
            Duration::from_secs(20),
            |s| s.is_some(),
        )
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

    let config = signer_config(&env.pki, &db, "interop");
    let go_signer = launch_go(
        &env,
        Role::Signer,
        config,
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

/// Runs the notary CLI against `server` (off the runtime's threads: our signer runs on them),
/// which must succeed with output containing each of `expected`.
async fn notary_ok(env: &Env, server: &Service, args: &[&str], expected: &[&str]) {
    let (url, ca, trust) = (server.url(), env.pki.root_ca.clone(), env.subdir("trust"));
    let owned: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let (ok, out) = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = owned.iter().map(String::as_str).collect();
        notary_testkit::notary_cli(&url, &ca, &trust, &args, None)
    })
    .await
    .unwrap();
    assert!(
        ok && expected.iter().all(|e| out.contains(e)),
        "notary {args:?} (expecting {expected:?}): {out}\n--- server log ---\n{}",
        server.proc.log_text()
    );
}

/// `notary add -p <gun> <name> <file>` publishes, then `notary list <gun>` shows `listed`.
async fn add_and_list(
    env: &Env,
    server: &Service,
    gun: &str,
    name: &str,
    file: &str,
    listed: &[&str],
) {
    let published = ["Successfully published changes"];
    notary_ok(env, server, &["add", "-p", gun, name, file], &published).await;
    notary_ok(env, server, &["list", gun], listed).await;
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
    let config = server_config(&env.pki, &server_db, Some(signer.addr.port()));
    let go_server = launch_go(&env, Role::Server, config, &[]);
    let gun = "example.com/trust/app";
    let target = env.path().join("artifact.bin");
    std::fs::write(&target, b"some release artifact").unwrap();
    let target = target.to_str().unwrap();
    let keys = |condition: &str| signer_db.count_keys(&format!("gun = '{gun}' AND {condition}"));

    notary_ok(&env, &go_server, &["init", "-p", gun], &[]).await;
    assert_eq!(keys("role = 'timestamp'"), 1);

    add_and_list(&env, &go_server, gun, "v1", target, &["v1"]).await;

    for role in ["snapshot", "timestamp"] {
        let rotated = format!("Successfully rotated {role} key for repository {gun}");
        let args = ["key", "rotate", gun, role, "-r"];
        notary_ok(&env, &go_server, &args, &[&rotated]).await;
    }
    assert_eq!(keys("role = 'snapshot'"), 1);
    assert_eq!(keys("role = 'timestamp'"), 2);

    // After the rotations the server signs snapshot and timestamp with our keys.
    add_and_list(&env, &go_server, gun, "v2", target, &["v1", "v2"]).await;
    assert_eq!(
        keys("last_used IS NOT NULL"),
        3,
        "timestamp (old and new) and snapshot keys have signed"
    );
}

//! A Go notary-server deployment's database is adopted in place: the Go server publishes with
//! the real CLI, then our server starts on the same database (its idempotent migrations touch
//! nothing) and serves the same repository to a fresh client.

use notary_testkit::{
    launch, notary_cli, server_config, Backend, Env, Opts, Program, Role, Server, Service,
    SignerKind, TestDb,
};

/// Go's notary-server (local signing service) on `db`, until dropped.
fn go_server(
    env_pki: &notary_devcerts::DevPki,
    dir: &std::path::Path,
    db: &TestDb,
    name: &str,
) -> Service {
    let mut cfg = server_config(env_pki, db, None);
    cfg["trust_service"]["key_algorithm"] = "ecdsa".into();
    cfg["logging"]["level"] = "error".into();
    launch(
        &Program::go_server(),
        Role::Server,
        env_pki,
        dir,
        name,
        cfg,
        &[],
        &[],
    )
}

async fn adopt(backend: Backend) {
    let env = Env::new();
    let db = TestDb::new(backend);
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

    let mut go = go_server(&env.pki, env.path(), &db, "go-server");
    let gun = "docker.io/adopt/repo";
    let td = env.subdir("trust-go");
    let file = env.file("f.txt", b"adopted");
    for args in [
        vec!["init", "-p", gun],
        vec!["add", "-p", gun, "v-go", file.to_str().unwrap()],
    ] {
        let (ok, out) = notary_cli(&go.url(), &env.pki.root_ca, &td, &args, None);
        assert!(ok, "{out}\n{}", go.proc.log_text());
    }
    go.proc.kill();

    let s = Server::start_with(Opts::new(backend, SignerKind::Local), env, db, None);
    let fresh = s.trust_dir("trust-fresh");
    let (ok, out) = s.notary(&fresh, &["list", gun], None);
    assert!(ok && out.contains("v-go"), "{out}\n{}", s.proc.log_text());
    let v = s
        .get_json(&format!("/v2/{gun}/_trust/changefeed?records=10"))
        .await;
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
    let go = go_server(&s.pki, s.dir.path(), &s.db, "go-reader");
    let fresh = s.trust_dir("trust-go-reader");
    let (ok, out) = notary_cli(&go.url(), &s.pki.root_ca, &fresh, &["list", gun], None);
    assert!(
        ok && out.contains("v-rust"),
        "{out}\n{}",
        go.proc.log_text()
    );
}

notary_testkit::test_cases!(async go_reads_ours {
    go_reads_our_database_postgres => (Backend::Postgres),
    go_reads_our_database_mysql => (Backend::Mysql),
});

notary_testkit::test_cases!(async adopt {
    go_database_adopted_postgres => (Backend::Postgres),
    go_database_adopted_mysql => (Backend::Mysql),
});

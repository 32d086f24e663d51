//! End to end with the real `notary` CLI (Go 0.7) against our server: init, add, list from a
//! second trust dir, remove, delegations, witness, key rotations, root rotation, delete --remote
//! and re-init, then the changefeed — on every backend and with every signer.

use std::path::Path;

use notary_testkit::{Backend, Opts, Server, SignerKind};

fn ok(s: &Server, dir: &Path, args: &[&str]) -> String {
    s.notary_ok(dir, args)
}

async fn changefeed(s: &Server, gun: &str) -> serde_json::Value {
    s.get_json(&format!("/v2/{gun}/_trust/changefeed?records=1000"))
        .await
}

async fn full_workflow(backend: Backend, signer: SignerKind) {
    let s = Server::start(Opts::new(backend, signer));
    let gun = "docker.io/notary/e2e";
    let d1 = s.trust_dir("trust1");
    let d2 = s.trust_dir("trust2");
    let file = s.dir.path().join("payload.txt");
    std::fs::write(&file, b"hello notary\n").unwrap();
    let file = file.to_str().unwrap();

    let out = ok(&s, &d1, &["init", "-p", gun]);
    assert!(
        out.contains(&format!(
            "Successfully published changes for repository {gun}"
        )),
        "{out}"
    );
    ok(&s, &d1, &["add", "-p", gun, "v1", file]);
    let out = ok(&s, &d2, &["list", gun]);
    assert!(out.contains("v1"), "{out}");

    ok(&s, &d1, &["remove", "-p", gun, "v1"]);
    let out = ok(&s, &d2, &["list", gun]);
    assert!(!out.contains("v1"), "{out}");

    // Delegation: a fresh key + certificate, added to the repo, private key imported.
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["releases".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let cert_path = s.dir.path().join("releases.crt");
    let key_path = s.dir.path().join("releases.key");
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    ok(
        &s,
        &d1,
        &[
            "delegation",
            "add",
            "-p",
            gun,
            "targets/releases",
            cert_path.to_str().unwrap(),
            "--all-paths",
        ],
    );
    ok(
        &s,
        &d1,
        &[
            "key",
            "import",
            key_path.to_str().unwrap(),
            "-r",
            "targets/releases",
        ],
    );
    ok(
        &s,
        &d1,
        &["add", "-p", gun, "v2", file, "--roles", "targets/releases"],
    );
    let out = ok(&s, &d2, &["list", gun]);
    assert!(
        out.contains("v2") && out.contains("targets/releases"),
        "{out}"
    );

    ok(&s, &d1, &["witness", "-p", gun, "targets/releases"]);

    // Server-managed snapshot, new timestamp key, then publishes still work.
    let out = ok(&s, &d1, &["key", "rotate", gun, "snapshot", "-r"]);
    assert!(
        out.contains(&format!(
            "Successfully rotated snapshot key for repository {gun}"
        )),
        "{out}"
    );
    ok(&s, &d1, &["add", "-p", gun, "v3", file]);
    let out = ok(&s, &d1, &["key", "rotate", gun, "timestamp", "-r"]);
    assert!(out.contains("Successfully rotated timestamp key"), "{out}");
    ok(&s, &d1, &["add", "-p", gun, "v4", file]);
    let out = ok(&s, &d2, &["list", gun]);
    assert!(out.contains("v3") && out.contains("v4"), "{out}");

    // Root rotation.
    let (success, out) = s.notary(&d1, &["key", "rotate", gun, "root"], Some("yes\n"));
    assert!(success, "{out}\n{}", s.proc.log_text());
    ok(&s, &d1, &["publish", gun]);
    let out = ok(&s, &d2, &["list", gun]);
    assert!(out.contains("v4"), "{out}");

    // Delete and re-init.
    let out = ok(&s, &d1, &["delete", "--remote", gun]);
    assert!(
        out.contains(&format!(
            "Successfully deleted local and remote trust data for repository {gun}"
        )),
        "{out}"
    );
    let d3 = s.trust_dir("trust3");
    let (success, out) = s.notary(&d3, &["list", gun], None);
    assert!(
        !success && out.contains("does not have trust data"),
        "{out}"
    );
    ok(&s, &d1, &["init", "-p", gun]);
    let out = ok(&s, &d3, &["list", gun]);
    assert!(out.contains("No targets"), "{out}");

    let feed = changefeed(&s, gun).await;
    let records = feed["records"].as_array().unwrap();
    assert!(feed["count"].as_u64().unwrap() >= 10, "{feed}");
    let deletions: Vec<_> = records
        .iter()
        .filter(|r| r["Category"] == "deletion")
        .collect();
    assert_eq!(deletions.len(), 1, "{feed}");
    assert_eq!(deletions[0]["Version"], 0);
    assert_eq!(deletions[0]["SHA256"], "");
    let last = records.last().unwrap();
    assert_eq!(last["Category"], "update");
    assert_eq!(
        last["Version"], 1,
        "re-init starts again at timestamp version 1"
    );
    assert!(last["ID"].is_string());
}

notary_testkit::test_cases!(async full_workflow {
    cli_sqlite_local_signer => (Backend::Sqlite, SignerKind::Local),
    cli_postgres_rust_signer => (Backend::Postgres, SignerKind::Rust),
    cli_mysql_rust_signer => (Backend::Mysql, SignerKind::Rust),
    cli_sqlite_rust_signer => (Backend::Sqlite, SignerKind::Rust),
    cli_postgres_go_signer => (Backend::Postgres, SignerKind::Go),
});

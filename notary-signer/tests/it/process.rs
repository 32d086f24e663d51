//! The real binary as a process: Go-style flags, config file with relative paths, env
//! overrides and the passphrase from NOTARY_SIGNER_<ALIAS>.

use std::process::Command;
use std::time::Duration;

use notary_testkit::{free_port, tls_ready, Proc};

use crate::support::*;

/// The notary-signer binary with `config` written to `signer-config.json` in `env`'s directory
/// and passed with `flag` (Go accepts both `-config` and `--config`).
fn signer_command(env: &Env, config: &serde_json::Value, flag: &str) -> Command {
    let path = env.path().join("signer-config.json");
    std::fs::write(&path, config.to_string()).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_notary-signer"));
    cmd.arg(flag).arg(path);
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_with_go_flags_env_and_relative_paths() {
    let env = Env::new();
    let db = TestDb::new(Db::Postgres);
    let port = free_port();
    // Relative paths, resolved against the config file's directory.
    let config = serde_json::json!({
        "server": {
            "grpc_addr": "127.0.0.1:1",
            "tls_cert_file": "pki/notary-signer.crt",
            "tls_key_file": "pki/notary-signer.key",
            "client_ca_file": "pki/notary-server.crt",
        },
        "storage": {"backend": "postgres", "db_url": "postgres://nobody@127.0.0.1:1/none",
                    "default_alias": "proc_alias"},
        "logging": {"level": "info"},
    });
    let mut cmd = signer_command(&env, &config, "-config");
    cmd.arg("-logf")
        .arg("text")
        .env(
            "NOTARY_SIGNER_SERVER_GRPC_ADDR",
            format!("127.0.0.1:{port}"),
        )
        .env("NOTARY_SIGNER_STORAGE_DB_URL", db.url())
        .env("NOTARY_SIGNER_PROC_ALIAS", "process secret")
        .current_dir("/");
    let mut guard = Proc::spawn("notary-signer", cmd, env.path().join("signer.log"));
    // The address comes from the environment, so it cannot be a handed-over listener; only
    // this test's signer passes the mTLS handshake with this test's PKI.
    let addr = format!("127.0.0.1:{port}").parse().unwrap();
    let id = (env.pki.server_cert.as_path(), env.pki.server_key.as_path());
    guard
        .wait_ready(Duration::from_secs(20), || {
            tls_ready(addr, &env.pki.root_ca, Some(id))
        })
        .unwrap();
    let mut c = Clients::new(server_channel(&env, addr).await);
    assert!(c.health("").await.is_ok(), "signer process did not come up");
    let key = c.create("ecdsa", "proc/gun", "timestamp").await.unwrap();
    let sig = c
        .sign(&id_of(&key.key_info), b"from a process")
        .await
        .unwrap();
    verify("ecdsa", &key.public_key, b"from a process", &sig.content);
    assert_eq!(db.count_keys("passphrase_alias = 'proc_alias'"), 1);

    // SIGTERM: exits cleanly and promptly even though our client keeps its connection open.
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(guard.child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = guard.exited() {
            break exit;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no exit after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(exit.success(), "{exit:?}");
    drop(c);
}

#[test]
fn refuses_to_start_without_client_ca_and_says_how() {
    let env = Env::new();
    let config = serde_json::json!({
        "server": {"grpc_addr": "127.0.0.1:0", "tls_cert_file": "pki/notary-signer.crt",
                   "tls_key_file": "pki/notary-signer.key"},
        "storage": {"backend": "memory"},
    });
    // Spawned under the kill-on-drop guard: if the signer wrongly starts, the test fails after
    // 10 s instead of hanging with a live process.
    let cmd = signer_command(&env, &config, "--config");
    let mut child = Proc::spawn("notary-signer", cmd, env.path().join("signer.log"));
    let _ = child.wait_ready(Duration::from_secs(10), || false);
    let status = child
        .exited()
        .unwrap_or_else(|| panic!("the signer started without client_ca_file"));
    assert!(!status.success());
    let stderr = child.log_text();
    assert!(stderr.contains("client_ca_file"), "{stderr}");
    assert!(stderr.contains("insecure_no_client_auth"), "{stderr}");
}

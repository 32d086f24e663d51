//! The real binary as a process: Go-style flags, config file with relative paths, env
//! overrides and the passphrase from NOTARY_SIGNER_<ALIAS>.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_with_go_flags_env_and_relative_paths() {
    let env = Env::new();
    let db = TestDb::create(Db::Postgres);
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
    let path = env.path().join("signer-config.json");
    std::fs::write(&path, config.to_string()).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_notary-signer"))
        .arg("-config")
        .arg(&path)
        .arg("-logf")
        .arg("text")
        .env(
            "NOTARY_SIGNER_SERVER_GRPC_ADDR",
            format!("127.0.0.1:{port}"),
        )
        .env("NOTARY_SIGNER_STORAGE_DB_URL", &db.url)
        .env("NOTARY_SIGNER_PROC_ALIAS", "process secret")
        .current_dir("/")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _guard = Process(child);
    let addr = format!("127.0.0.1:{port}").parse().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut c = loop {
        let id = Some((env.pki.server_cert.as_path(), env.pki.server_key.as_path()));
        if let Ok(ch) = try_channel(&env, addr, id).await {
            let mut c = Clients::new(ch);
            if c.health("").await.is_ok() {
                break c;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "signer process did not come up"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let key = c.create("ecdsa", "proc/gun", "timestamp").await.unwrap();
    let sig = c
        .sign(&id_of(&key.key_info), b"from a process")
        .await
        .unwrap();
    verify("ecdsa", &key.public_key, b"from a process", &sig.content);
    assert_eq!(db.count_keys("passphrase_alias = 'proc_alias'"), 1);

    // SIGTERM: exits cleanly and promptly even though our client keeps its connection open.
    let mut guard = _guard;
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(guard.0.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = guard.0.try_wait().unwrap() {
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
    let path = env.path().join("signer-config.json");
    std::fs::write(&path, config.to_string()).unwrap();
    // Spawned under the kill-on-drop guard: if the signer wrongly starts, the test fails after
    // 10 s instead of hanging with a live process.
    let mut child = Process(
        Command::new(env!("CARGO_BIN_EXE_notary-signer"))
            .arg("--config")
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the signer started without client_ca_file"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(!status.success());
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.0.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(stderr.contains("client_ca_file"), "{stderr}");
    assert!(stderr.contains("insecure_no_client_auth"), "{stderr}");
}

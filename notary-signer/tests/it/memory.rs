//! The `memory` backend: no database, no passphrase; keys live only in the process.

use notary_signer::config::Settings;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_backend_creates_and_signs() {
    let env = Env::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let json = serde_json::json!({
        "server": {"grpc_addr": addr.to_string(), "tls_cert_file": env.pki.signer_cert,
                   "tls_key_file": env.pki.signer_key, "client_ca_file": env.pki.ca_bundle},
        "storage": {"backend": "memory"},
    })
    .to_string();
    let settings = Settings::from_json(&json, env.path(), &|_| None).unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(notary_signer::server::serve(settings, listener, async {
        let _ = rx.await;
    }));
    let mut c = Clients::new(server_channel(&env, addr).await);
    assert_eq!(c.health("grpc.health.v1.Health.Signer").await.unwrap(), 1);
    for alg in ["ecdsa", "ed25519"] {
        let key = c.create(alg, "mem/gun", "timestamp").await.unwrap();
        let id = id_of(&key.key_info);
        assert_eq!(c.info(&id).await.unwrap().public_key, key.public_key);
        let sig = c.sign(&id, b"in memory").await.unwrap();
        verify(alg, &key.public_key, b"in memory", &sig.content);
        c.delete(&id).await.unwrap();
        assert_eq!(
            c.sign(&id, b"x").await.unwrap_err().code(),
            tonic::Code::NotFound
        );
    }
    let _ = tx.send(());
    let _ = task.await;
}

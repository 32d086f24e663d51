//! Signer test harness on top of `notary-testkit` (dev PKI, one fresh database per test): the
//! signer in-process on 127.0.0.1:0, and mTLS gRPC clients.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use notary_proto::pb;
use notary_signer::config::Settings;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

pub use notary_testkit::{Backend as Db, Env, TestDb};

/// Signer queries on a test database.
pub trait KeyCount {
    /// `SELECT COUNT(*) FROM private_keys WHERE <condition>`.
    fn count_keys(&self, condition: &str) -> i64;
}

impl KeyCount for TestDb {
    fn count_keys(&self, condition: &str) -> i64 {
        self.count(&format!("private_keys WHERE {condition}"))
    }
}

/// How a test signer is configured.
#[derive(Clone)]
pub struct Options {
    /// `server.client_ca_file`; `None` = the explicit opt-out.
    pub client_ca: Option<PathBuf>,
    pub alias: String,
}

impl Options {
    pub fn mtls(env: &Env) -> Self {
        Self {
            client_ca: Some(env.pki.ca_bundle.clone()),
            alias: "testalias".into(),
        }
    }
}

/// Signer config JSON for `db` (absolute paths) with the given listen address.
pub fn config_json(env: &Env, db: &TestDb, opts: &Options, grpc_addr: &str) -> String {
    let mut server = serde_json::json!({
        "grpc_addr": grpc_addr,
        "tls_cert_file": env.pki.signer_cert,
        "tls_key_file": env.pki.signer_key,
    });
    match &opts.client_ca {
        Some(ca) => server["client_ca_file"] = serde_json::json!(ca),
        None => server["insecure_no_client_auth"] = serde_json::json!(true),
    }
    serde_json::json!({
        "server": server,
        "storage": {
            "backend": db.config_backend(),
            "db_url": db.url(),
            "default_alias": opts.alias,
            "passphrase_dir": env.passphrase_dir(),
        },
        "logging": {"level": "info"},
    })
    .to_string()
}

/// A signer served in-process; stopped on drop.
pub struct TestSigner {
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl TestSigner {
    pub async fn start(env: &Env, db: &TestDb, opts: &Options) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let json = config_json(env, db, opts, &addr.to_string());
        let settings = Settings::from_json(&json, env.path(), &|_| None).unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(notary_signer::server::serve(settings, listener, async {
            let _ = rx.await;
        }));
        Self {
            addr,
            shutdown: Some(tx),
            task,
        }
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), &mut self.task).await;
    }
}

impl Drop for TestSigner {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.task.abort();
    }
}

/// A client identity: (certificate chain PEM path, key PEM path).
pub type ClientId<'a> = Option<(&'a Path, &'a Path)>;

/// Connects over TLS (trusting the dev root CA) with an optional client certificate.
pub async fn try_channel(
    env: &Env,
    addr: SocketAddr,
    id: ClientId<'_>,
) -> Result<Channel, tonic::transport::Error> {
    let ca = std::fs::read(&env.pki.root_ca).unwrap();
    let mut tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(ca))
        .domain_name("localhost");
    if let Some((cert, key)) = id {
        tls = tls.identity(Identity::from_pem(
            std::fs::read(cert).unwrap(),
            std::fs::read(key).unwrap(),
        ));
    }
    Endpoint::from_shared(format!("https://{addr}"))?
        .tls_config(tls)?
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .connect()
        .await
}

/// A channel authenticated as notary-server.
pub async fn server_channel(env: &Env, addr: SocketAddr) -> Channel {
    try_channel(env, addr, Some((&env.pki.server_cert, &env.pki.server_key)))
        .await
        .unwrap()
}

pub struct Clients {
    pub km: pb::key_management_client::KeyManagementClient<Channel>,
    pub signer: pb::signer_client::SignerClient<Channel>,
    pub health: tonic_health::pb::health_client::HealthClient<Channel>,
}

impl Clients {
    pub fn new(channel: Channel) -> Self {
        Self {
            km: pb::key_management_client::KeyManagementClient::new(channel.clone()),
            signer: pb::signer_client::SignerClient::new(channel.clone()),
            health: tonic_health::pb::health_client::HealthClient::new(channel),
        }
    }

    pub async fn create(
        &mut self,
        alg: &str,
        gun: &str,
        role: &str,
    ) -> Result<pb::PublicKey, tonic::Status> {
        self.km
            .create_key(pb::CreateKeyRequest {
                algorithm: alg.into(),
                gun: gun.into(),
                role: role.into(),
            })
            .await
            .map(|r| r.into_inner())
    }

    pub async fn info(&mut self, id: &str) -> Result<pb::GetKeyInfoResponse, tonic::Status> {
        self.km
            .get_key_info(pb::KeyId { id: id.into() })
            .await
            .map(|r| r.into_inner())
    }

    pub async fn delete(&mut self, id: &str) -> Result<(), tonic::Status> {
        self.km
            .delete_key(pb::KeyId { id: id.into() })
            .await
            .map(drop)
    }

    pub async fn sign(&mut self, id: &str, content: &[u8]) -> Result<pb::Signature, tonic::Status> {
        self.signer
            .sign(pb::SignatureRequest {
                key_id: Some(pb::KeyId { id: id.into() }),
                content: content.to_vec(),
            })
            .await
            .map(|r| r.into_inner())
    }

    pub async fn health(&mut self, service: &str) -> Result<i32, tonic::Status> {
        self.health
            .check(tonic_health::pb::HealthCheckRequest {
                service: service.into(),
            })
            .await
            .map(|r| r.into_inner().status)
    }

    /// Polls the health of `service` until `ready` holds for its status (`None`: the check
    /// failed) or `limit` passes; whether it did.
    pub async fn health_eventually(
        &self,
        service: &str,
        limit: Duration,
        ready: impl Fn(Option<i32>) -> bool,
    ) -> bool {
        let ready = &ready;
        eventually(limit, || {
            let mut c = self.health.clone();
            let service = service.to_string();
            async move {
                let status = c
                    .check(tonic_health::pb::HealthCheckRequest { service })
                    .await
                    .map(|r| r.into_inner().status);
                ready(status.ok())
            }
        })
        .await
    }
}

/// The key ID inside a CreateKey/GetKeyInfo/Sign response.
pub fn id_of(info: &Option<pb::KeyInfo>) -> String {
    info.as_ref().unwrap().key_id.as_ref().unwrap().id.clone()
}

/// The key algorithm inside a response.
pub fn alg_of(info: &Option<pb::KeyInfo>) -> String {
    info.as_ref()
        .unwrap()
        .algorithm
        .as_ref()
        .unwrap()
        .algorithm
        .clone()
}

/// Verifies a signer signature with ring.
pub fn verify(alg: &str, public: &[u8], message: &[u8], sig: &[u8]) {
    use ring::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_FIXED, ED25519};
    match alg {
        "ecdsa" => {
            assert_eq!(public.len(), 91);
            assert_eq!(sig.len(), 64, "ECDSA signature must be raw r||s");
            UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &public[26..])
                .verify(message, sig)
                .expect("ecdsa signature verifies");
        }
        "ed25519" => {
            assert_eq!(public.len(), 32);
            UnparsedPublicKey::new(&ED25519, public)
                .verify(message, sig)
                .expect("ed25519 signature verifies");
        }
        other => panic!("unexpected algorithm {other}"),
    }
}

/// Polls `f` until it returns true or `limit` passes.
pub async fn eventually<F, Fut>(limit: Duration, mut f: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if f().await {
            return true;
        }
        if tokio::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

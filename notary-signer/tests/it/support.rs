//! Test harness: dev PKI in a temp dir, one fresh database per test (dropped on Drop), the
//! signer in-process on 127.0.0.1:0, and mTLS gRPC clients.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use notary_db::{MysqlConnection, PgConnection};
use notary_devcerts::DevPki;
use notary_proto::pb;
use notary_signer::config::Settings;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

pub const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";
pub const MYSQL_ADMIN: &str = "mysql://root@127.0.0.1:3306/mysql";

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
    Mysql,
}

/// A temp dir with the dev PKI and a passphrase directory.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub pki: DevPki,
}

impl Env {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let pki = notary_devcerts::generate(&dir.path().join("pki")).unwrap();
        std::fs::create_dir_all(dir.path().join("passphrases")).unwrap();
        Self { dir, pki }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn passphrase_dir(&self) -> PathBuf {
        self.path().join("passphrases")
    }

    /// Writes the passphrase file of `alias`.
    pub fn set_passphrase(&self, alias: &str, value: &str) {
        std::fs::write(self.passphrase_dir().join(alias), format!("{value}\n")).unwrap();
    }

    pub fn remove_passphrase(&self, alias: &str) {
        let _ = std::fs::remove_file(self.passphrase_dir().join(alias));
    }
}

fn unique_name() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "signer_test_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

/// A database created for one test and dropped when this guard drops.
pub struct TestDb {
    pub kind: Db,
    pub name: String,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// Creates the database; a database that cannot be reached fails the test.
    pub fn create(kind: Db) -> Self {
        let name = unique_name();
        match kind {
            Db::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = dir.path().join("signer.db").display().to_string();
                Self {
                    kind,
                    name,
                    url,
                    _dir: Some(dir),
                }
            }
            Db::Postgres => {
                let mut admin = PgConnection::establish(PG_ADMIN)
                    .unwrap_or_else(|e| panic!("PostgreSQL at {PG_ADMIN} unreachable: {e}"));
                admin
                    .batch_execute(&format!("CREATE DATABASE \"{name}\""))
                    .unwrap();
                let url = format!("postgres://postgres@127.0.0.1:5432/{name}");
                Self {
                    kind,
                    name,
                    url,
                    _dir: None,
                }
            }
            Db::Mysql => {
                let mut admin = MysqlConnection::establish(MYSQL_ADMIN)
                    .unwrap_or_else(|e| panic!("MariaDB at {MYSQL_ADMIN} unreachable: {e}"));
                admin
                    .batch_execute(&format!("CREATE DATABASE `{name}`"))
                    .unwrap();
                let url = format!("mysql://root@127.0.0.1:3306/{name}");
                Self {
                    kind,
                    name,
                    url,
                    _dir: None,
                }
            }
        }
    }

    pub fn backend(&self) -> &'static str {
        match self.kind {
            Db::Sqlite => "sqlite3",
            Db::Postgres => "postgres",
            Db::Mysql => "mysql",
        }
    }

    /// Runs SQL statements on this database.
    pub fn execute(&self, sql: &str) {
        match self.kind {
            Db::Sqlite => sqlite(&self.url).batch_execute(sql).unwrap(),
            Db::Postgres => PgConnection::establish(&self.url)
                .unwrap()
                .batch_execute(sql)
                .unwrap(),
            Db::Mysql => MysqlConnection::establish(&self.url)
                .unwrap()
                .batch_execute(sql)
                .unwrap(),
        }
    }

    /// `SELECT COUNT(*) FROM private_keys WHERE <condition>`.
    pub fn count_keys(&self, condition: &str) -> i64 {
        self.count(&format!("private_keys WHERE {condition}"))
    }

    /// `SELECT COUNT(*) FROM <from_where>`.
    pub fn count(&self, from_where: &str) -> i64 {
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let sql = format!("SELECT COUNT(*) AS n FROM {from_where}");
        let q = diesel::sql_query(sql);
        match self.kind {
            Db::Sqlite => q.get_result::<Count>(&mut sqlite(&self.url)),
            Db::Postgres => q.get_result::<Count>(&mut PgConnection::establish(&self.url).unwrap()),
            Db::Mysql => q.get_result::<Count>(&mut MysqlConnection::establish(&self.url).unwrap()),
        }
        .unwrap()
        .n
    }

    /// Drops the database (Postgres: terminating its connections) without consuming the guard.
    pub fn drop_database(&self) {
        match self.kind {
            Db::Sqlite => {}
            Db::Postgres => {
                if let Ok(mut admin) = PgConnection::establish(PG_ADMIN) {
                    let _ = admin.batch_execute(&format!(
                        "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                        self.name
                    ));
                }
            }
            Db::Mysql => {
                if let Ok(mut admin) = MysqlConnection::establish(MYSQL_ADMIN) {
                    let _ =
                        admin.batch_execute(&format!("DROP DATABASE IF EXISTS `{}`", self.name));
                }
            }
        }
    }

    /// Re-creates a dropped database (empty).
    pub fn recreate_database(&self) {
        match self.kind {
            Db::Sqlite => {}
            Db::Postgres => PgConnection::establish(PG_ADMIN)
                .unwrap()
                .batch_execute(&format!("CREATE DATABASE \"{}\"", self.name))
                .unwrap(),
            Db::Mysql => MysqlConnection::establish(MYSQL_ADMIN)
                .unwrap()
                .batch_execute(&format!("CREATE DATABASE `{}`", self.name))
                .unwrap(),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        self.drop_database();
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
            "backend": db.backend(),
            "db_url": db.url,
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

/// A SQLite connection that waits for the signer process's write lock instead of failing with
/// "database is locked".
fn sqlite(url: &str) -> SqliteConnection {
    let mut c = SqliteConnection::establish(url).unwrap();
    c.batch_execute("PRAGMA busy_timeout = 10000;").unwrap();
    c
}

//! Migrations adopt a database prepared by Go Notary's golang-migrate without touching rows,
//! and are idempotent.

use notary_signer::crypto::{jwe, KeyAlgorithm, NewKeyPair};
use notary_signer::storage::{Backend, NewKey, Store};

use crate::support::*;

/// The table as Go's golang-migrate leaves it, plus its bookkeeping table.
const GO_POSTGRES: &str = concat!(
    include_str!("../../../fixtures/go-schema/signer-postgresql.sql"),
    "CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);\n",
    "INSERT INTO schema_migrations VALUES (1, false);\n",
);

const GO_MYSQL: &str = include_str!("../../../fixtures/go-schema/signer-mysql.sql");

const GO_SQLITE: &str = r#"
CREATE TABLE "private_keys" ("id" integer primary key autoincrement, "created_at" datetime,
  "updated_at" datetime, "deleted_at" datetime, "key_id" varchar(255) NOT NULL,
  "encryption_alg" varchar(255) NOT NULL, "keywrap_alg" varchar(255) NOT NULL,
  "algorithm" varchar(50) NOT NULL, "passphrase_alias" varchar(50) NOT NULL,
  "public" blob NOT NULL, "private" blob NOT NULL, "gun" varchar(255) NOT NULL,
  "role" varchar(255) NOT NULL, "last_used" datetime);
CREATE UNIQUE INDEX key_id ON private_keys (key_id);
"#;

pub async fn adopts_existing_schema(kind: Db) {
    let env = Env::new();
    env.set_passphrase("testalias", "adopted secret");
    let db = TestDb::new(kind);
    db.sql(match kind {
        Db::Postgres => GO_POSTGRES,
        Db::Mysql => GO_MYSQL,
        Db::Sqlite => GO_SQLITE,
    });
    // A row written before our signer ever ran, encrypted the Go way.
    let pair = NewKeyPair::generate(KeyAlgorithm::Ecdsa).unwrap();
    let id = pair.key_id();
    let private = jwe::encrypt(&pair.private, b"adopted secret").unwrap();
    let backend = match kind {
        Db::Postgres => Backend::Postgres,
        Db::Mysql => Backend::Mysql,
        Db::Sqlite => Backend::Sqlite,
    };
    let url = db.url();
    let public = pair.public.clone();
    let row_id = id.clone();
    tokio::task::spawn_blocking(move || {
        let store = Store::connect(backend, &url).unwrap();
        let now = chrono::Utc::now().naive_utc();
        store
            .insert(&NewKey {
                created_at: now,
                updated_at: now,
                key_id: &row_id,
                encryption_alg: jwe::ENCRYPTION_ALG,
                keywrap_alg: jwe::KEY_WRAP_ALG,
                algorithm: "ecdsa",
                passphrase_alias: "testalias",
                public: &public,
                private: private.as_bytes(),
                gun: "adopted/gun",
                role: "timestamp",
            })
            .unwrap();
    })
    .await
    .unwrap();

    for _ in 0..2 {
        // Twice: migrations are idempotent.
        let signer = TestSigner::start(&env, &db, &Options::mtls(&env)).await;
        let mut c = Clients::new(server_channel(&env, signer.addr).await);
        let info = c.info(&id).await.unwrap();
        assert_eq!(info.role, "timestamp");
        // The adopted pending key is reused by CreateKey.
        let created = c.create("ecdsa", "adopted/gun", "timestamp").await.unwrap();
        assert_eq!(id_of(&created.key_info), id);
        signer.stop().await;
    }
    assert_eq!(db.count_keys("1 = 1"), 1);
    if kind != Db::Sqlite {
        // golang-migrate's bookkeeping is left alone: the one row the Go schema wrote.
        let version = if kind == Db::Postgres { 1 } else { 2 };
        assert_eq!(db.count("schema_migrations"), 1);
        assert_eq!(
            db.count(&format!(
                "schema_migrations WHERE version = {version} AND NOT dirty"
            )),
            1
        );
    }
}

/// Several replicas starting at once on one empty database all come up (migrations race).
pub async fn replicas_start_together(kind: Db) {
    let env = Env::new();
    env.set_passphrase("testalias", "pw");
    let db = TestDb::new(kind);
    let opts = Options::mtls(&env);
    let (a, b, c) = tokio::join!(
        TestSigner::start(&env, &db, &opts),
        TestSigner::start(&env, &db, &opts),
        TestSigner::start(&env, &db, &opts),
    );
    let mut ids = Vec::new();
    for s in [&a, &b, &c] {
        let mut cl = Clients::new(server_channel(&env, s.addr).await);
        let key = cl.create("ecdsa", "shared/gun", "timestamp").await.unwrap();
        ids.push(id_of(&key.key_info));
    }
    // All replicas see the same pending key.
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");
    // A key deleted through one replica is refused by the others within 1 s.
    let mut ca = Clients::new(server_channel(&env, a.addr).await);
    let mut cb = Clients::new(server_channel(&env, b.addr).await);
    ca.sign(&ids[0], b"warm").await.unwrap();
    cb.delete(&ids[0]).await.unwrap();
    let deleted = std::time::Instant::now();
    loop {
        match ca.sign(&ids[0], b"after").await {
            Err(e) => {
                assert_eq!(e.code(), tonic::Code::NotFound);
                break;
            }
            Ok(_) => assert!(deleted.elapsed() < std::time::Duration::from_secs(1)),
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

//! Every RPC and error code, run on each database (instantiated in main.rs).

use std::time::Duration;

use notary_proto::pb;
use notary_signer::crypto::key_id;
use tonic::Code;

use crate::support::*;

async fn setup(kind: Db) -> (Env, TestDb, TestSigner, Clients) {
    let env = Env::new();
    env.set_passphrase("testalias", "correct horse battery staple");
    let db = TestDb::new(kind);
    let signer = TestSigner::start(&env, &db, &Options::mtls(&env)).await;
    let clients = Clients::new(server_channel(&env, signer.addr).await);
    (env, db, signer, clients)
}

/// Create, reuse-while-pending, GetKeyInfo, Sign, last_used, DeleteKey for one algorithm.
pub async fn lifecycle(kind: Db, alg: &str) {
    let (_env, db, _signer, mut c) = setup(kind).await;
    let gun = "docker.io/library/alpine";

    let created = c.create(alg, gun, "timestamp").await.unwrap();
    let id = id_of(&created.key_info);
    assert_eq!(alg_of(&created.key_info), alg);
    assert_eq!(id, key_id(alg, &created.public_key));
    match alg {
        "ecdsa" => {
            assert_eq!(created.public_key.len(), 91);
            assert!(created.public_key.starts_with(&[0x30, 0x59, 0x30, 0x13]));
        }
        _ => assert_eq!(created.public_key.len(), 32),
    }
    assert_eq!(
        db.count_keys(&format!("key_id = '{id}' AND last_used IS NULL")),
        1
    );

    // Pending (never used) keys are handed out again for the same gun/role/algorithm.
    let again = c.create(alg, gun, "timestamp").await.unwrap();
    assert_eq!(id_of(&again.key_info), id);
    let other_role = c.create(alg, gun, "snapshot").await.unwrap();
    assert_ne!(id_of(&other_role.key_info), id);
    let other_gun = c
        .create(alg, "docker.io/library/busybox", "timestamp")
        .await
        .unwrap();
    assert_ne!(id_of(&other_gun.key_info), id);

    let info = c.info(&id).await.unwrap();
    assert_eq!(id_of(&info.key_info), id);
    assert_eq!(alg_of(&info.key_info), alg);
    assert_eq!(info.public_key, created.public_key);
    assert_eq!(info.role, "timestamp");
    // GetKeyInfo does not mark the key used.
    assert_eq!(
        db.count_keys(&format!("key_id = '{id}' AND last_used IS NULL")),
        1
    );

    let message = br#"{"_type":"Timestamp","expires":"2030-01-01T00:00:00Z","version":1}"#;
    let sig = c.sign(&id, message).await.unwrap();
    assert_eq!(id_of(&sig.key_info), id);
    assert_eq!(alg_of(&sig.key_info), alg);
    let method = sig.algorithm.as_ref().unwrap().algorithm.as_str();
    assert_eq!(method, if alg == "ecdsa" { "ecdsa" } else { "eddsa" });
    verify(alg, &created.public_key, message, &sig.content);
    assert_eq!(
        db.count_keys(&format!("key_id = '{id}' AND last_used IS NOT NULL")),
        1
    );

    // A used key is not reused: CreateKey makes a new one.
    let fresh = c.create(alg, gun, "timestamp").await.unwrap();
    assert_ne!(id_of(&fresh.key_info), id);

    // Signing many times with a cached key keeps working and verifying.
    for i in 0..5u8 {
        let m = [message.as_slice(), &[i]].concat();
        let s = c.sign(&id, &m).await.unwrap();
        verify(alg, &created.public_key, &m, &s.content);
    }

    // A message above tonic's default 4 MiB limit (a large generated snapshot) is signed.
    let large = vec![b'x'; 6 * 1024 * 1024];
    let s = c.sign(&id, &large).await.unwrap();
    verify(alg, &created.public_key, &large, &s.content);

    // Soft delete: row kept with deleted_at, key unusable, deletes idempotent.
    c.delete(&id).await.unwrap();
    assert_eq!(
        db.count_keys(&format!("key_id = '{id}' AND deleted_at IS NOT NULL")),
        1
    );
    let err = c.info(&id).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    assert_eq!(err.message(), format!("key {id} not found"));
    let err = c.sign(&id, message).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    assert_eq!(err.message(), format!("signing key not found: {id}"));
    c.delete(&id).await.unwrap();
}

/// Algorithms other than exactly `ecdsa`/`ed25519` → UNKNOWN with Go's message.
pub async fn unsupported_algorithms(kind: Db) {
    let (_env, db, _signer, mut c) = setup(kind).await;
    for alg in ["rsa", "", "ECDSA", "ed25519 "] {
        let err = c.create(alg, "gun", "timestamp").await.unwrap_err();
        assert_eq!(err.code(), Code::Unknown, "{alg:?}");
        assert_eq!(
            err.message(),
            format!("algorithm {alg} not supported for create key")
        );
    }
    assert_eq!(db.count_keys("1 = 1"), 0);
}

/// Unknown IDs, an absent keyID, and deleting what does not exist.
pub async fn unknown_keys(kind: Db) {
    let (_env, _db, _signer, mut c) = setup(kind).await;
    let err = c.info("0000").await.unwrap_err();
    assert_eq!(
        (err.code(), err.message()),
        (Code::NotFound, "key 0000 not found")
    );
    let err = c.sign("0000", b"x").await.unwrap_err();
    assert_eq!(
        (err.code(), err.message()),
        (Code::NotFound, "signing key not found: 0000")
    );
    let err = c
        .signer
        .sign(pb::SignatureRequest {
            key_id: None,
            content: b"x".to_vec(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    c.delete("0000").await.unwrap();
    c.delete("").await.unwrap();
}

/// `delete from private_keys where gun=...` (the recovery runbook) takes effect within 1 s,
/// even for keys the signer has cached, without a restart; CreateKey then makes new keys.
pub async fn operator_sql_delete(kind: Db) {
    let (_env, db, _signer, mut c) = setup(kind).await;
    let gun = "registry.example.com/team/app";
    let ts = c.create("ecdsa", gun, "timestamp").await.unwrap();
    let sn = c.create("ecdsa", gun, "snapshot").await.unwrap();
    let (ts_id, sn_id) = (id_of(&ts.key_info), id_of(&sn.key_info));
    c.sign(&ts_id, b"warm the cache").await.unwrap();
    c.info(&sn_id).await.unwrap();
    let keep = c.create("ed25519", "other/gun", "timestamp").await.unwrap();

    db.sql(&format!("DELETE FROM private_keys WHERE gun = '{gun}'"));
    let deleted_at = std::time::Instant::now();

    // GetKeyInfo always reads the row: refused at once.
    assert_eq!(c.info(&ts_id).await.unwrap_err().code(), Code::NotFound);
    // Sign may use its liveness confirmation for at most 0.5 s; never longer than 1 s.
    let err = loop {
        match c.sign(&ts_id, b"after delete").await {
            Err(e) => break e,
            Ok(_) => assert!(
                deleted_at.elapsed() < Duration::from_secs(1),
                "a deleted key signed more than 1 s after its deletion"
            ),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(err.code(), Code::NotFound);
    assert_eq!(
        c.sign(&ts_id, b"again").await.unwrap_err().code(),
        Code::NotFound
    );
    assert_eq!(c.info(&ts_id).await.unwrap_err().code(), Code::NotFound);
    assert_eq!(c.info(&sn_id).await.unwrap_err().code(), Code::NotFound);
    assert_eq!(
        c.sign(&sn_id, b"x").await.unwrap_err().code(),
        Code::NotFound
    );
    let new_ts = c.create("ecdsa", gun, "timestamp").await.unwrap();
    assert_ne!(id_of(&new_ts.key_info), ts_id);
    // Other GUNs are untouched.
    c.sign(&id_of(&keep.key_info), b"still here").await.unwrap();
}

/// Passphrases: per-row alias, missing passphrase → NOT_FOUND on read and INTERNAL on create.
pub async fn passphrase_aliases(kind: Db) {
    let env = Env::new();
    env.set_passphrase("alias_one", "first secret");
    let db = TestDb::new(kind);
    let opts1 = Options {
        alias: "alias_one".into(),
        ..Options::mtls(&env)
    };
    let first = TestSigner::start(&env, &db, &opts1).await;
    let mut c = Clients::new(server_channel(&env, first.addr).await);
    let old = c.create("ecdsa", "g", "timestamp").await.unwrap();
    let old_id = id_of(&old.key_info);
    first.stop().await;

    // New default alias without a passphrase; old alias' passphrase also gone.
    env.remove_passphrase("alias_one");
    let opts2 = Options {
        alias: "alias.two".into(),
        ..Options::mtls(&env)
    };
    let second = TestSigner::start(&env, &db, &opts2).await;
    let mut c = Clients::new(server_channel(&env, second.addr).await);
    let err = c.info(&old_id).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    assert_eq!(
        c.sign(&old_id, b"x").await.unwrap_err().code(),
        Code::NotFound
    );
    let err = c.create("ecdsa", "g2", "timestamp").await.unwrap_err();
    assert_eq!(
        (err.code(), err.message()),
        (Code::Internal, "Key creation failed")
    );

    // Restore both: old rows decrypt with their own alias, new rows use the new alias.
    env.set_passphrase("alias_one", "first secret");
    env.set_passphrase("alias.two", "second secret");
    let sig = c.sign(&old_id, b"old key").await.unwrap();
    verify("ecdsa", &old.public_key, b"old key", &sig.content);
    let new = c.create("ed25519", "g2", "timestamp").await.unwrap();
    let new_id = id_of(&new.key_info);
    assert_eq!(
        db.count_keys(&format!(
            "key_id = '{new_id}' AND passphrase_alias = 'alias.two'"
        )),
        1
    );
    assert_eq!(
        db.count_keys(&format!(
            "key_id = '{old_id}' AND passphrase_alias = 'alias_one'"
        )),
        1
    );
    // A wrong passphrase is as good as none.
    env.set_passphrase("alias.two", "not the secret");
    let third = TestSigner::start(&env, &db, &opts2).await;
    let mut c3 = Clients::new(server_channel(&env, third.addr).await);
    assert_eq!(c3.info(&new_id).await.unwrap_err().code(), Code::NotFound);
    c3.info(&old_id).await.unwrap();
}

/// The health entries Go registers are SERVING; other names are NOT_FOUND.
pub async fn health_names(kind: Db) {
    let (_env, _db, _signer, mut c) = setup(kind).await;
    for name in [
        "",
        "grpc.health.v1.Health.KeyManagement",
        "grpc.health.v1.Health.Signer",
    ] {
        assert_eq!(c.health(name).await.unwrap(), 1, "{name:?} SERVING");
    }
    for name in ["grpc.health.v1.Health.Overall", "proto.Signer", "nope"] {
        assert_eq!(c.health(name).await.unwrap_err().code(), Code::NotFound);
    }
}

/// Concurrent creates and signs from several tasks.
pub async fn concurrent_signing(kind: Db) {
    let (_env, _db, _signer, c) = setup(kind).await;
    let mut tasks = Vec::new();
    for t in 0..8 {
        let mut c = Clients {
            km: c.km.clone(),
            signer: c.signer.clone(),
            health: c.health.clone(),
        };
        tasks.push(tokio::spawn(async move {
            let alg = if t % 2 == 0 { "ecdsa" } else { "ed25519" };
            let key = c
                .create(alg, &format!("gun{t}"), "timestamp")
                .await
                .unwrap();
            let id = id_of(&key.key_info);
            for i in 0..10u8 {
                let s = c.sign(&id, &[t, i]).await.unwrap();
                verify(alg, &key.public_key, &[t, i], &s.content);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

/// Health follows the database: NOT_SERVING while it is gone, SERVING again once it is back.
/// Whether `service` reports `status` (1 SERVING, 2 NOT_SERVING) within 10 s.
async fn reports(c: &Clients, service: &str, status: i32) -> bool {
    let limit = Duration::from_secs(10);
    c.health_eventually(service, limit, |s| s == Some(status))
        .await
}

pub async fn health_follows_database(kind: Db) {
    use notary_signer::storage::{Backend, Store};

    let (_env, db, _signer, mut c) = setup(kind).await;
    let names = [
        "",
        "grpc.health.v1.Health.KeyManagement",
        "grpc.health.v1.Health.Signer",
    ];
    for name in names {
        assert_eq!(c.health(name).await.unwrap(), 1);
    }
    db.drop_database();
    assert!(
        reports(&c, "grpc.health.v1.Health.Signer", 2).await,
        "NOT_SERVING while the database is gone"
    );
    for name in names {
        assert_eq!(c.health(name).await.unwrap(), 2, "{name:?}");
    }

    db.recreate_database();
    let (backend, url) = match kind {
        Db::Postgres => (Backend::Postgres, db.url()),
        Db::Mysql => (Backend::Mysql, db.url()),
        Db::Sqlite => (Backend::Sqlite, db.url()),
    };
    tokio::task::spawn_blocking(move || Store::connect(backend, &url).unwrap().migrate().unwrap())
        .await
        .unwrap();
    assert!(
        reports(&c, "grpc.health.v1.Health.KeyManagement", 1).await,
        "SERVING again once the database is back"
    );
    c.health("").await.unwrap();
    // And the service works again.
    let key = c.create("ed25519", "back", "timestamp").await.unwrap();
    c.sign(&id_of(&key.key_info), b"again").await.unwrap();
}

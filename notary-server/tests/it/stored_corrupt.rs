//! §3.13 #4, #10, #21 and §3.14 #16: when what is *stored* is broken (corrupt JSON in the
//! current root, snapshot or timestamp row), a publish fails with `INVALID_UPDATE` and no
//! detail — the client did nothing wrong that a typed validation error could describe — and
//! storage is left exactly as it was.

use reqwest::StatusCode;

use notary_testkit::tufclient::Repo;
use notary_testkit::{Backend, Opts, Server, SignerKind};

const NO_DETAIL: &str = "{\"errors\":[{\"code\":\"INVALID_UPDATE\",\"message\":\"Update sent by the client is invalid.\"}]}\n";

fn snapshot_of_rows(s: &Server, gun: &str) -> String {
    s.db.sql(&format!(
        "SELECT role, version, sha256 FROM tuf_files WHERE gun = '{gun}' ORDER BY role, version"
    )) + &s.db.sql("SELECT COUNT(*) FROM changefeed")
}

async fn corrupt_role(backend: Backend, role: &str) {
    let s = Server::start(Opts::new(backend, SignerKind::Local));
    let c = s.client();
    let gun = format!("docker.io/corrupt/{role}");
    let repo = Repo::new(&c, &s.url, &gun, false).await;
    let (root, _, _) = s.publish_initial_with_snapshot(&gun, &repo).await;

    // Break the stored bytes of the current `role` row (its sha256 column still points at it).
    s.db.sql(&format!(
        "UPDATE tuf_files SET data = 'this is not json' WHERE gun = '{gun}' AND role = '{role}'"
    ));
    let before = snapshot_of_rows(&s, &gun);

    let targets2 = repo.targets_file(2);
    let snapshot2 = repo.snapshot_file(2, &[("root", &root), ("targets", &targets2)]);
    let (st, body) = s
        .publish(&gun, &[("targets", &targets2), ("snapshot", &snapshot2)])
        .await;
    assert_eq!(
        (st, body.as_str()),
        (StatusCode::BAD_REQUEST, NO_DETAIL),
        "stored {role} corrupt"
    );
    assert_eq!(snapshot_of_rows(&s, &gun), before, "nothing written");
}

notary_testkit::test_cases!(async corrupt_role {
    corrupt_stored_root_sqlite => (Backend::Sqlite, "root"),
    corrupt_stored_timestamp_sqlite => (Backend::Sqlite, "timestamp"),
    corrupt_stored_snapshot_postgres => (Backend::Postgres, "snapshot"),
    corrupt_stored_root_mysql => (Backend::Mysql, "root"),
});

/// §3.14 #13: a stored row with empty data is "not found", not an error.
async fn empty_root_row(backend: Backend) {
    let s = Server::start(Opts::new(backend, SignerKind::Local));
    let c = s.client();
    let gun = "docker.io/corrupt/empty";
    let repo = Repo::new(&c, &s.url, gun, false).await;
    s.publish_initial_with_snapshot(gun, &repo).await;
    s.db.sql(&format!(
        "UPDATE tuf_files SET data = '' WHERE gun = '{gun}' AND role = 'root'"
    ));
    for path in ["root.json", "1.root.json"] {
        let r = c
            .get(format!("{}/v2/{gun}/_trust/tuf/{path}", s.url))
            .send()
            .await
            .expect("get");
        let st = r.status();
        let body = r.text().await.expect("body");
        assert_eq!(st, StatusCode::NOT_FOUND, "{path}: {body}");
        assert_eq!(notary_testkit::error_code(&body), "METADATA_NOT_FOUND");
    }
}

notary_testkit::test_cases!(async empty_root_row {
    empty_stored_root_is_not_found_sqlite => (Backend::Sqlite),
    empty_stored_root_is_not_found_postgres => (Backend::Postgres),
});

/// §3.13 #5 / #12 / #22, §3.14 #16: the database fails while a publish reads the current state
/// (here: the table is renamed away under a live server) → `INVALID_UPDATE` without detail,
/// nothing written; once the table is back, publishing works again.
#[tokio::test]
async fn storage_read_error_during_validation_postgres() {
    let s = Server::start(Opts::new(Backend::Postgres, SignerKind::Local));
    let c = s.client();
    let gun = "docker.io/corrupt/readerror";
    let repo = Repo::new(&c, &s.url, gun, false).await;
    let (root, _, _) = s.publish_initial_with_snapshot(gun, &repo).await;

    let targets2 = repo.targets_file(2);
    let snapshot2 = repo.snapshot_file(2, &[("root", &root), ("targets", &targets2)]);
    let parts: [(&str, &[u8]); 2] = [("targets", &targets2), ("snapshot", &snapshot2)];
    s.db.sql("ALTER TABLE tuf_files RENAME TO tuf_files_away");
    let (st, body) = s.publish(gun, &parts).await;
    s.db.sql("ALTER TABLE tuf_files_away RENAME TO tuf_files");
    assert_eq!((st, body.as_str()), (StatusCode::BAD_REQUEST, NO_DETAIL));
    assert_eq!(
        s.db.sql(&format!(
            "SELECT MAX(version) FROM tuf_files WHERE gun = '{gun}' AND role = 'targets'"
        ))
        .trim(),
        "1",
        "nothing written"
    );
    let (st, body) = s.publish(gun, &parts).await;
    assert_eq!(st, StatusCode::OK, "after the table is back: {body}");
}

//! §3.13 #4, #10, #21 and §3.14 #16: when what is *stored* is broken (corrupt JSON in the
//! current root, snapshot or timestamp row), a publish fails with `INVALID_UPDATE` and no
//! detail — the client did nothing wrong that a typed validation error could describe — and
//! storage is left exactly as it was.

use reqwest::StatusCode;

use crate::publish::post;
use crate::support::{Backend, Opts, Server, SignerKind};
use crate::tufclient::Repo;

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
    let root = repo.root_file(1);
    let targets = repo.targets_file(1);
    let snapshot = repo.snapshot_file(1, &[("root", &root), ("targets", &targets)]);
    let (st, body) = post(
        &s,
        &gun,
        &[
            ("root", &root),
            ("targets", &targets),
            ("snapshot", &snapshot),
        ],
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{body}");

    // Break the stored bytes of the current `role` row (its sha256 column still points at it).
    s.db.sql(&format!(
        "UPDATE tuf_files SET data = 'this is not json' WHERE gun = '{gun}' AND role = '{role}'"
    ));
    let before = snapshot_of_rows(&s, &gun);

    let targets2 = repo.targets_file(2);
    let snapshot2 = repo.snapshot_file(2, &[("root", &root), ("targets", &targets2)]);
    let (st, body) = post(
        &s,
        &gun,
        &[("targets", &targets2), ("snapshot", &snapshot2)],
    )
    .await;
    assert_eq!(
        (st, body.as_str()),
        (StatusCode::BAD_REQUEST, NO_DETAIL),
        "stored {role} corrupt"
    );
    assert_eq!(snapshot_of_rows(&s, &gun), before, "nothing written");
}

#[tokio::test]
async fn corrupt_stored_root_sqlite() {
    corrupt_role(Backend::Sqlite, "root").await;
}

#[tokio::test]
async fn corrupt_stored_timestamp_sqlite() {
    corrupt_role(Backend::Sqlite, "timestamp").await;
}

#[tokio::test]
async fn corrupt_stored_snapshot_postgres() {
    corrupt_role(Backend::Postgres, "snapshot").await;
}

#[tokio::test]
async fn corrupt_stored_root_mysql() {
    corrupt_role(Backend::Mysql, "root").await;
}

/// §3.14 #13: a stored row with empty data is "not found", not an error.
async fn empty_root_row(backend: Backend) {
    let s = Server::start(Opts::new(backend, SignerKind::Local));
    let c = s.client();
    let gun = "docker.io/corrupt/empty";
    let repo = Repo::new(&c, &s.url, gun, false).await;
    let root = repo.root_file(1);
    let targets = repo.targets_file(1);
    let snapshot = repo.snapshot_file(1, &[("root", &root), ("targets", &targets)]);
    let (st, body) = post(
        &s,
        gun,
        &[
            ("root", &root),
            ("targets", &targets),
            ("snapshot", &snapshot),
        ],
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{body}");
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
        assert_eq!(crate::support::error_code(&body), "METADATA_NOT_FOUND");
    }
}

#[tokio::test]
async fn empty_stored_root_is_not_found_sqlite() {
    empty_root_row(Backend::Sqlite).await;
}

#[tokio::test]
async fn empty_stored_root_is_not_found_postgres() {
    empty_root_row(Backend::Postgres).await;
}

/// §3.13 #5 / #12 / #22, §3.14 #16: the database fails while a publish reads the current state
/// (here: the table is renamed away under a live server) → `INVALID_UPDATE` without detail,
/// nothing written; once the table is back, publishing works again.
#[tokio::test]
async fn storage_read_error_during_validation_postgres() {
    let s = Server::start(Opts::new(Backend::Postgres, SignerKind::Local));
    let c = s.client();
    let gun = "docker.io/corrupt/readerror";
    let repo = Repo::new(&c, &s.url, gun, false).await;
    let root = repo.root_file(1);
    let targets = repo.targets_file(1);
    let snapshot = repo.snapshot_file(1, &[("root", &root), ("targets", &targets)]);
    let (st, body) = post(
        &s,
        gun,
        &[
            ("root", &root),
            ("targets", &targets),
            ("snapshot", &snapshot),
        ],
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{body}");

    let targets2 = repo.targets_file(2);
    let snapshot2 = repo.snapshot_file(2, &[("root", &root), ("targets", &targets2)]);
    let parts: [(&str, &[u8]); 2] = [("targets", &targets2), ("snapshot", &snapshot2)];
    s.db.sql("ALTER TABLE tuf_files RENAME TO tuf_files_away");
    let (st, body) = post(&s, gun, &parts).await;
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
    let (st, body) = post(&s, gun, &parts).await;
    assert_eq!(st, StatusCode::OK, "after the table is back: {body}");
}

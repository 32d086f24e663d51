//! The read path: cache headers, ETag/304, lazy re-signing of an expired timestamp (also when
//! replicas race), and visibility of out-of-band changes (operator SQL, another replica's
//! publish) within one second.

use std::time::Duration;

use reqwest::StatusCode;

use notary_testkit::{Backend, Opts, Server, SignerKind};

fn version_of(body: &[u8]) -> i64 {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap();
    v["signed"]["version"].as_i64().unwrap()
}

async fn get(c: &reqwest::Client, url: &str) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let r = c.get(url).send().await.unwrap();
    let st = r.status();
    let h = r.headers().clone();
    (st, h, r.bytes().await.unwrap().to_vec())
}

fn init(s: &Server, url: &str, gun: &str, dir: &str) {
    let d = s.trust_dir(dir);
    let (ok, out) = notary_testkit::notary_cli(url, &s.pki.root_ca, &d, &["init", "-p", gun], None);
    assert!(ok, "{out}\n{}", s.proc.log_text());
}

#[tokio::test]
async fn headers_etag_and_resign_on_read() {
    let mut opts = Opts::new(Backend::Sqlite, SignerKind::Local);
    opts.timestamp_expiry_secs = Some(2);
    let s = Server::start(opts);
    let gun = "docker.io/fresh/resign";
    init(&s, &s.url, gun, "t1");
    let c = s.client();
    let ts_url = format!("{}/v2/{gun}/_trust/tuf/timestamp.json", s.url);
    let (st, h, body) = get(&c, &ts_url).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(version_of(&body), 1);
    assert_eq!(
        h["cache-control"],
        "public, max-age=300, s-maxage=300, must-revalidate"
    );
    assert!(h["last-modified"].to_str().unwrap().ends_with(" GMT"));
    let etag = h["etag"].to_str().unwrap().to_string();
    let r = c
        .get(&ts_url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    assert!(r.bytes().await.unwrap().is_empty());

    // Consistent URLs carry the long cache header.
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let snap_b64 = v["signed"]["meta"]["snapshot"]["hashes"]["sha256"]
        .as_str()
        .unwrap();
    use base64::Engine as _;
    let snap_hex = hex::encode(
        base64::engine::general_purpose::STANDARD
            .decode(snap_b64)
            .unwrap(),
    );
    let (st, h, _) = get(
        &c,
        &format!("{}/v2/{gun}/_trust/tuf/snapshot.{snap_hex}.json", s.url),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        h["cache-control"],
        "public, max-age=2592000, s-maxage=2592000"
    );

    // After expiry the next read re-signs (version + 1) and records a change.
    tokio::time::sleep(Duration::from_millis(2300)).await;
    let (st, _, body2) = get(&c, &ts_url).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(version_of(&body2), 2);
    let (st, _, body3) = get(&c, &ts_url).await;
    assert_eq!((st, body3), (StatusCode::OK, body2));
    let feed = s.db.sql("SELECT COUNT(*) FROM changefeed");
    assert_eq!(feed.trim(), "2");
    // The real client accepts the re-signed timestamp.
    let d = s.trust_dir("reader");
    let (ok, out) = s.notary(&d, &["list", gun], None);
    assert!(ok, "{out}");
}

async fn replicas_race(backend: Backend) {
    let mut opts = Opts::new(backend, SignerKind::Rust);
    opts.timestamp_expiry_secs = Some(2);
    let s = Server::start(opts.clone());
    let (_b, b_url) = s.replica(&opts);
    let gun = "docker.io/fresh/race";
    init(&s, &s.url, gun, "t1");
    tokio::time::sleep(Duration::from_millis(2300)).await;
    let c = s.client();
    let mut tasks = Vec::new();
    for i in 0..16 {
        let base = if i % 2 == 0 {
            s.url.clone()
        } else {
            b_url.clone()
        };
        let c = c.clone();
        let url = format!("{base}/v2/{gun}/_trust/tuf/timestamp.json");
        tasks.push(tokio::spawn(async move { get(&c, &url).await }));
    }
    let mut bodies = Vec::new();
    for t in tasks {
        let (st, _, body) = t.await.unwrap();
        assert_eq!(st, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        bodies.push(body);
    }
    for b in &bodies {
        assert_eq!(version_of(b), 2);
        assert_eq!(b, &bodies[0], "every replica serves the winner's timestamp");
    }
    let n = s.db.sql(&format!(
        "SELECT COUNT(*) FROM tuf_files WHERE gun = '{gun}' AND role = 'timestamp'"
    ));
    assert_eq!(n.trim(), "2");
}

notary_testkit::test_cases!(async replicas_race {
    replicas_race_sqlite => (Backend::Sqlite),
    replicas_race_postgres => (Backend::Postgres),
    replicas_race_mysql => (Backend::Mysql),
});

async fn out_of_band_changes(backend: Backend) {
    let opts = Opts::new(backend, SignerKind::Rust);
    let s = Server::start(opts.clone());
    let (_b, b_url) = s.replica(&opts);
    let gun = "docker.io/fresh/oob";
    init(&s, &s.url, gun, "t1");
    let c = s.client();
    let ts_url = format!("{}/v2/{gun}/_trust/tuf/timestamp.json", s.url);
    for _ in 0..3 {
        let (st, _, body) = get(&c, &ts_url).await;
        assert_eq!((st, version_of(&body)), (StatusCode::OK, 1));
    }

    // Another replica publishes: visible here within one second.
    let d = s.trust_dir("t1");
    let file = s.dir.path().join("f.txt");
    std::fs::write(&file, b"x").unwrap();
    let (ok, out) = notary_testkit::notary_cli(
        &b_url,
        &s.pki.root_ca,
        &d,
        &["add", "-p", gun, "v1", file.to_str().unwrap()],
        None,
    );
    assert!(ok, "{out}");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (st, _, body) = get(&c, &ts_url).await;
    assert_eq!((st, version_of(&body)), (StatusCode::OK, 2));

    // The operator runbook: delete the GUN's rows by hand. 404 within one second, no restart.
    s.db.sql(&format!("DELETE FROM tuf_files WHERE gun = '{gun}'"));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    for path in [
        "timestamp.json",
        "snapshot.json",
        "root.json",
        "targets.json",
    ] {
        let (st, _, body) = get(&c, &format!("{}/v2/{gun}/_trust/tuf/{path}", s.url)).await;
        assert_eq!(
            st,
            StatusCode::NOT_FOUND,
            "{path}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    // The GUN is new again: a fresh client can initialise it.
    let (ok, out) = notary_testkit::notary_cli(
        &s.url,
        &s.pki.root_ca,
        &s.trust_dir("t2"),
        &["init", "-p", gun],
        None,
    );
    assert!(ok, "{out}");
    let (st, _, body) = get(&c, &ts_url).await;
    assert_eq!((st, version_of(&body)), (StatusCode::OK, 1));
}

notary_testkit::test_cases!(async out_of_band_changes {
    out_of_band_changes_sqlite => (Backend::Sqlite),
    out_of_band_changes_postgres => (Backend::Postgres),
    out_of_band_changes_mysql => (Backend::Mysql),
});

//! Scale-out: two notary-server processes on one PostgreSQL and one notary-signer, with
//! concurrent publishes to the same GUNs through both. No 5xx, exactly one winner per version
//! (the losers get 400 `VERSION`), no lost update, and every acknowledged version is readable,
//! byte for byte, through both replicas.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use notary_testkit::tufclient::{sign, Repo};
use notary_testkit::{error_code, get, Backend, Opts, Server, SignerKind};

const ROUNDS: i64 = 6;
const PUBLISHERS: usize = 4;

/// Waits (at most 2 s, the 1 s freshness bound plus slack) until `url` serves `want`.
async fn eventually_serves(c: &reqwest::Client, url: &str, want: &[u8]) {
    let start = Instant::now();
    loop {
        let (st, body) = get(c, url).await;
        if st == StatusCode::OK && body == want {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{url} still serves {st} {} instead of the acknowledged bytes",
            String::from_utf8_lossy(&body)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn race_on_gun(c: reqwest::Client, urls: [String; 2], gun: &'static str) {
    // Server-managed snapshot: every publish carries only `targets`, so the replicas generate
    // and sign snapshot and timestamp concurrently.
    let repo = Repo::new(&c, &urls[0], gun, true).await;
    let (st, body) = notary_testkit::publish_initial(&c, &urls[0], gun, &repo).await;
    assert_eq!(st, StatusCode::OK, "init: {body}");

    // ECDSA signatures are randomised, so take version 1's bytes back from the other replica.
    let mut acknowledged = Vec::new();
    let v1 = get(
        &c,
        &format!("{}/v2/{gun}/_trust/tuf/1.targets.json", urls[1]),
    )
    .await;
    assert_eq!(v1.0, StatusCode::OK);
    acknowledged.push((1i64, v1.1));

    for round in 0..ROUNDS {
        let version = round + 2;
        let mut tasks = Vec::new();
        for p in 0..PUBLISHERS {
            let mut signed = repo.targets_signed(version, json!({"keys": {}, "roles": []}));
            signed["targets"][format!("publisher-{p}-round-{round}")] = json!({"hashes": {"sha256": "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc="}, "length": 1});
            let bytes = sign(&signed, &[&repo.targets]);
            let c = c.clone();
            let base = urls[p % 2].clone();
            tasks.push(tokio::spawn(async move {
                let (st, body) =
                    notary_testkit::publish(&c, &base, gun, &[("targets", &bytes)]).await;
                (st, body, bytes)
            }));
        }
        let mut winners = Vec::new();
        for t in tasks {
            let (st, body, bytes) = t.await.expect("publisher task");
            match st {
                StatusCode::OK => winners.push(bytes),
                StatusCode::BAD_REQUEST => {
                    assert_eq!(error_code(&body), "VERSION", "{gun} v{version}: {body}")
                }
                other => panic!("{gun} v{version}: unexpected {other}: {body}"),
            }
        }
        assert_eq!(
            winners.len(),
            1,
            "{gun} v{version}: exactly one publish of a version wins"
        );
        let won = winners.remove(0);
        for base in &urls {
            eventually_serves(
                &c,
                &format!("{base}/v2/{gun}/_trust/tuf/targets.json"),
                &won,
            )
            .await;
        }
        acknowledged.push((version, won));
    }

    // No acknowledged update is lost: every version is readable through both replicas.
    for base in &urls {
        for (version, bytes) in &acknowledged {
            let (st, body) = get(
                &c,
                &format!("{base}/v2/{gun}/_trust/tuf/{version}.targets.json"),
            )
            .await;
            assert_eq!(st, StatusCode::OK, "{base} {gun} v{version}");
            assert_eq!(
                &body, bytes,
                "{base} {gun} v{version} differs from what was acknowledged"
            );
        }
        // The current chain is consistent on both: timestamp → snapshot → targets.
        let (st, ts) = get(&c, &format!("{base}/v2/{gun}/_trust/tuf/timestamp.json")).await;
        assert_eq!(st, StatusCode::OK);
        let ts: serde_json::Value = serde_json::from_slice(&ts).expect("timestamp json");
        assert_eq!(
            ts["signed"]["version"].as_i64(),
            Some(ROUNDS + 1),
            "{base}: one timestamp per acknowledged publish"
        );
    }
}

#[tokio::test]
async fn two_replicas_concurrent_publishes_postgres() {
    let opts = Opts::new(Backend::Postgres, SignerKind::Rust);
    let s = Server::start(opts.clone());
    let (_replica, replica_url) = s.replica(&opts);
    let urls = [s.url.clone(), replica_url];
    let c = s.client();
    let a = tokio::spawn(race_on_gun(c.clone(), urls.clone(), "docker.io/scale/one"));
    let b = tokio::spawn(race_on_gun(c.clone(), urls.clone(), "docker.io/scale/two"));
    a.await.expect("gun one");
    b.await.expect("gun two");

    for gun in ["docker.io/scale/one", "docker.io/scale/two"] {
        let rows = s.db.sql(&format!(
            "SELECT COUNT(*) FROM tuf_files WHERE gun = '{gun}' AND role = 'targets'"
        ));
        assert_eq!(rows.trim(), (ROUNDS + 1).to_string(), "{gun}: targets rows");
    }
}

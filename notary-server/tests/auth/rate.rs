//! GET `timestamp.json` throughput with a valid token versus the same server build without
//! auth. Timing-sensitive, so ignored by default; run it on an idle machine in release:
//!
//! ```text
//! cargo test --release -p notary-server --test auth -- --ignored --nocapture timestamp_rate
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::harness::{AuthServer, Options, ISSUER, SERVICE};
use crate::tokens::{claims, KeyRef};

const GUN: &str = "docker.io/bench/rate";

async fn rate(client: reqwest::Client, url: String, auth: Option<String>, secs: u64) -> f64 {
    let count = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (client, url, auth, count) = (client.clone(), url.clone(), auth.clone(), count.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let mut rb = client.get(&url);
                if let Some(a) = &auth {
                    rb = rb.header("Authorization", a);
                }
                let r = rb.send().await.unwrap();
                assert_eq!(r.status(), 200);
                let _ = r.bytes().await.unwrap();
                count.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    count.load(Ordering::Relaxed) as f64 / secs as f64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "timing-sensitive: run in release on an idle machine"]
async fn timestamp_rate_with_token_is_at_least_80_percent() {
    let with = AuthServer::start(Options {
        log_level: "error",
        ..Options::default()
    });
    let without = AuthServer::start(Options {
        realm: false,
        auth_override: Some(json!({})),
        log_level: "error",
        ..Options::default()
    });
    for (s, user) in [(&with, Some("pusher")), (&without, None)] {
        let d = s.trust_dir("bench");
        let (ok, out) = s.notary(&d, user, &["init", "-p", GUN]);
        assert!(ok, "{out}");
    }
    let token = with.key.mint(
        KeyRef::X5c,
        &claims(ISSUER, SERVICE, &[("repository", GUN, &["pull"])]),
    );
    let path = format!("/v2/{GUN}/_trust/tuf/timestamp.json");
    let (mut best_with, mut best_without) = (0f64, 0f64);
    for _ in 0..3 {
        best_without = best_without
            .max(rate(without.client(), format!("{}{path}", without.url), None, 3).await);
        best_with = best_with.max(
            rate(
                with.client(),
                format!("{}{path}", with.url),
                Some(format!("Bearer {token}")),
                3,
            )
            .await,
        );
    }
    let ratio = best_with / best_without;
    println!(
        "timestamp.json: {best_without:.0}/s without auth, {best_with:.0}/s with a token ({:.0}%)",
        ratio * 100.0
    );
    assert!(
        ratio >= 0.8,
        "token auth rate is {:.0}% of the open rate",
        ratio * 100.0
    );
}

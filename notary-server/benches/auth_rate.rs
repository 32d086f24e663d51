//! GET current `timestamp.json` with a valid bearer token against the same server without
//! auth (goal: ≥ 80% of the open rate). Starts two real `notary-server` processes (release
//! build) with the test token service of `tests/auth`, publishes a repository with the real
//! `notary` CLI on each, then measures 16 keep-alive TLS clients for 3 s, best of 3.
//!
//! Run: `cargo bench -p notary-server --bench auth_rate`

#![allow(dead_code)]
// A benchmark: setup failures panic by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

#[path = "../tests/auth/harness.rs"]
mod harness;
#[path = "../tests/auth/realm.rs"]
mod realm;
#[path = "../tests/auth/tokens.rs"]
mod tokens;

use harness::{AuthServer, Options, ISSUER, SERVICE};
use tokens::{claims, KeyRef};

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
                let r = rb.send().await.expect("request");
                assert_eq!(r.status(), 200);
                let _ = r.bytes().await.expect("body");
                count.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.expect("client task");
    }
    count.load(Ordering::Relaxed) as f64 / secs as f64
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
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
            "GET timestamp.json, 16 clients: {best_without:.0}/s without auth, {best_with:.0}/s with a token: {:.0}% (goal ≥ 80%: {})",
            ratio * 100.0,
            if ratio >= 0.8 { "met" } else { "NOT met" }
        );
    });
}

//! Load benchmark for any Notary v1 server (ours or Go's):
//!
//! ```text
//! cargo bench -p notary-server --bench server_bench -- \
//!     --url https://127.0.0.1:4443 --ca root-ca.crt [--seconds 10] [--connections 32] [--publishers 4] \
//!     [--phases get,publish]
//! ```
//!
//! `--phases none` only creates the repositories; each one's GUN is printed as
//! `repository: GUN` (`notary-server/benches/compare-nginx.sh` uses that to aim wrk).
//!
//! 1. Creates one repository per publisher the way a client does (root with an x509 root key for
//!    the GUN, targets key, server-managed snapshot and timestamp keys from `…/{role}.key`).
//! 2. GET `timestamp.json` of the first repository over `--connections` keep-alive TLS
//!    connections for `--seconds`: requests/s.
//! 3. `--publishers` clients each publish a new `targets.json` version in a loop for
//!    `--seconds`: publishes/s and p50/p99 latency.

// A benchmark: setup failures panic by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use notary_testkit::multipart;
use notary_testkit::tufclient::Repo;

struct Args {
    url: String,
    ca: String,
    seconds: u64,
    connections: usize,
    publishers: usize,
    phases: String,
}

fn args() -> Args {
    let mut a = Args {
        url: String::new(),
        ca: String::new(),
        seconds: 10,
        connections: 32,
        publishers: 4,
        phases: "get,publish".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().unwrap_or_default();
        match flag.trim_start_matches('-') {
            "url" => a.url = val(),
            "ca" => a.ca = val(),
            "seconds" => a.seconds = val().parse().unwrap_or(10),
            "connections" => a.connections = val().parse().unwrap_or(32),
            "publishers" => a.publishers = val().parse().unwrap_or(4),
            "phases" => a.phases = val(),
            _ => {} // `cargo bench` passes --bench
        }
    }
    if a.url.is_empty() || a.ca.is_empty() {
        eprintln!("usage: server_bench --url https://host:port --ca root-ca.crt [--seconds N] [--connections N] [--publishers N] [--phases get,publish|none]");
        std::process::exit(2);
    }
    a
}

fn client(ca: &str, pool: usize) -> reqwest::Client {
    let pem = std::fs::read(ca).expect("read CA");
    reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("CA PEM"))
        .pool_max_idle_per_host(pool)
        .http1_only()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

/// A repository this benchmark owns (server-managed snapshot) and its next targets version.
struct BenchRepo {
    gun: String,
    repo: Repo,
    next_version: i64,
}

impl BenchRepo {
    fn targets_file(&self) -> Vec<u8> {
        self.repo.targets_file(self.next_version)
    }
}

/// Creates a repository the way a client does: root with an x509 root key for the GUN,
/// targets key, server-managed snapshot and timestamp keys from `…/{role}.key`.
async fn create_repo(c: &reqwest::Client, base: &str, gun: &str) -> BenchRepo {
    let repo = Repo::new(c, base, gun, true).await;
    let (st, body) = notary_testkit::publish_initial(c, base, gun, &repo).await;
    assert!(st.is_success(), "initial publish of {gun}: {st} {body}");
    BenchRepo {
        gun: gun.to_string(),
        repo,
        next_version: 2,
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let a = args();
    let setup = client(&a.ca, 4);
    let run_id = std::process::id();
    let mut repos = Vec::new();
    for i in 0..a.publishers.max(1) {
        let repo = create_repo(&setup, &a.url, &format!("bench.example/r{run_id}/p{i}")).await;
        println!("repository: {}", repo.gun);
        repos.push(repo);
    }
    let duration = Duration::from_secs(a.seconds);
    let phase = |name: &str| a.phases.split(',').any(|p| p.trim() == name);
    if phase("get") {
        get_phase(&a, &repos[0].gun, duration).await;
    }
    if phase("publish") {
        publish_phase(&a, repos, duration).await;
    }
}

/// GET current `timestamp.json` of `gun` over `a.connections` keep-alive connections.
async fn get_phase(a: &Args, gun: &str, duration: Duration) {
    let url = format!("{}/v2/{gun}/_trust/tuf/timestamp.json", a.url);
    let done = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..a.connections {
        let c = client(&a.ca, 1);
        let (url, done, count, errors) = (url.clone(), done.clone(), count.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                match c.get(&url).send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    let start = Instant::now();
    tokio::time::sleep(duration).await;
    done.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "GET timestamp.json: {:.0} req/s over {} connections ({} requests, {} errors, {:.1}s)",
        count.load(Ordering::Relaxed) as f64 / secs,
        a.connections,
        count.load(Ordering::Relaxed),
        errors.load(Ordering::Relaxed),
        secs
    );
}

/// Each repository's client publishes a new `targets.json` version in a loop.
async fn publish_phase(a: &Args, repos: Vec<BenchRepo>, duration: Duration) {
    let deadline = Instant::now() + duration;
    let mut tasks = Vec::new();
    for mut repo in repos {
        let c = client(&a.ca, 1);
        let base = a.url.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut failures = 0u64;
            while Instant::now() < deadline {
                let targets = repo.targets_file();
                let (ct, body) = multipart(&[("targets", &targets)]);
                let t = Instant::now();
                let r = c
                    .post(format!("{base}/v2/{}/_trust/tuf/", repo.gun))
                    .header("content-type", ct)
                    .body(body)
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status().is_success() => {
                        lat.push(t.elapsed());
                        repo.next_version += 1;
                    }
                    Ok(r) => {
                        failures += 1;
                        if failures <= 3 {
                            eprintln!(
                                "publish failed: {} {}",
                                r.status(),
                                r.text().await.unwrap_or_default()
                            );
                        }
                    }
                    Err(e) => {
                        failures += 1;
                        eprintln!("publish error: {e}");
                        if failures >= 10 {
                            eprintln!("giving up after {failures} failed publishes");
                            break;
                        }
                    }
                }
            }
            (lat, failures)
        }));
    }
    let start = Instant::now();
    let mut all = Vec::new();
    let mut failures = 0;
    for t in tasks {
        if let Ok((lat, f)) = t.await {
            all.extend(lat);
            failures += f;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    all.sort();
    println!(
        "publish: {:.1} publishes/s from {} clients ({} ok, {} failed), p50 {:.1} ms, p99 {:.1} ms",
        all.len() as f64 / secs,
        a.publishers,
        all.len(),
        failures,
        percentile(&all, 0.50).as_secs_f64() * 1000.0,
        percentile(&all, 0.99).as_secs_f64() * 1000.0,
    );
}

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

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use notary_tuf::data::{KeyType, PublicKey};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};

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

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
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

fn sign(pair: &EcdsaKeyPair, keyid: &str, signed: &Value) -> Vec<u8> {
    let canonical = notary_tuf::cjson::to_canonical(signed).expect("canonical");
    let sig = pair.sign(&SystemRandom::new(), &canonical).expect("sign");
    let mut out = b"{\"signed\":".to_vec();
    out.extend_from_slice(&canonical);
    out.extend_from_slice(
        format!(
            ",\"signatures\":[{{\"keyid\":\"{keyid}\",\"method\":\"ecdsa\",\"sig\":\"{}\"}}]}}",
            b64(sig.as_ref())
        )
        .as_bytes(),
    );
    out
}

fn multipart(parts: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "benchboundary8d1f";
    let mut body = Vec::new();
    for (role, data) in parts {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{role}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A repository this benchmark owns: its targets key and next targets version.
struct Repo {
    gun: String,
    targets_pair: EcdsaKeyPair,
    targets_id: String,
    next_version: i64,
}

fn expires(days: i64) -> String {
    notary_tuf::cjson::format_time(&(chrono::Utc::now() + chrono::Duration::days(days)))
}

fn targets_file(repo: &Repo) -> Vec<u8> {
    let signed = json!({
        "_type": "Targets",
        "delegations": {"keys": {}, "roles": []},
        "expires": expires(1095),
        "targets": {format!("file-{}", repo.next_version): {
            "hashes": {"sha256": b64(&[repo.next_version as u8; 32])}, "length": 1}},
        "version": repo.next_version,
    });
    sign(&repo.targets_pair, &repo.targets_id, &signed)
}

async fn server_key(c: &reqwest::Client, base: &str, gun: &str, role: &str) -> (String, Value) {
    let r = c
        .get(format!("{base}/v2/{gun}/_trust/tuf/{role}.key"))
        .send()
        .await
        .expect("key request");
    assert!(r.status().is_success(), "{role}.key: {}", r.status());
    let v: Value = r.json().await.expect("key json");
    let public = base64::engine::general_purpose::STANDARD
        .decode(v["keyval"]["public"].as_str().expect("public"))
        .expect("b64");
    let keytype = v["keytype"].as_str().expect("keytype");
    let key = PublicKey::new(KeyType::parse(keytype), public);
    (
        key.key_id().as_str().to_string(),
        json!({"keytype": keytype, "keyval": {"private": null, "public": v["keyval"]["public"]}}),
    )
}

async fn create_repo(c: &reqwest::Client, base: &str, gun: &str) -> Repo {
    let rng = SystemRandom::new();
    // Root key: an x509 certificate whose CN is the GUN.
    let root_key = rcgen::KeyPair::generate().expect("root key");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, gun);
    params.not_after = rcgen::date_time_ymd(2035, 1, 1);
    let cert = params.self_signed(&root_key).expect("root cert");
    let root_pub = PublicKey::new(KeyType::EcdsaX509, cert.pem().into_bytes());
    let root_id = root_pub.key_id().as_str().to_string();
    let root_pair = EcdsaKeyPair::from_pkcs8(
        &ECDSA_P256_SHA256_FIXED_SIGNING,
        &root_key.serialize_der(),
        &rng,
    )
    .expect("root pair");

    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("gen");
    let targets_pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .expect("targets pair");
    let targets_pub = PublicKey::new(
        KeyType::Ecdsa,
        notary_tuf::crypto::p256_spki_from_point(targets_pair.public_key().as_ref()),
    );
    let targets_id = targets_pub.key_id().as_str().to_string();

    let (ts_id, ts_key) = server_key(c, base, gun, "timestamp").await;
    let (snap_id, snap_key) = server_key(c, base, gun, "snapshot").await;
    let mut keys = BTreeMap::new();
    keys.insert(
        root_id.clone(),
        json!({"keytype": "ecdsa-x509", "keyval": {"private": null, "public": b64(cert.pem().as_bytes())}}),
    );
    keys.insert(
        targets_id.clone(),
        json!({"keytype": "ecdsa", "keyval": {"private": null, "public": b64(&targets_pub.public)}}),
    );
    keys.insert(ts_id.clone(), ts_key);
    keys.insert(snap_id.clone(), snap_key);
    let root_signed = json!({
        "_type": "Root", "consistent_snapshot": false, "expires": expires(3650), "keys": keys,
        "roles": {
            "root": {"keyids": [root_id], "threshold": 1},
            "snapshot": {"keyids": [snap_id], "threshold": 1},
            "targets": {"keyids": [targets_id], "threshold": 1},
            "timestamp": {"keyids": [ts_id], "threshold": 1},
        },
        "version": 1,
    });
    let root = sign(&root_pair, &root_id, &root_signed);
    let mut repo = Repo {
        gun: gun.to_string(),
        targets_pair,
        targets_id,
        next_version: 1,
    };
    let targets = targets_file(&repo);
    let (ct, body) = multipart(&[("root", &root), ("targets", &targets)]);
    let r = c
        .post(format!("{base}/v2/{gun}/_trust/tuf/"))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .expect("publish");
    let st = r.status();
    assert!(
        st.is_success(),
        "initial publish of {gun}: {st} {}",
        r.text().await.unwrap_or_default()
    );
    repo.next_version = 2;
    repo
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
async fn publish_phase(a: &Args, repos: Vec<Repo>, duration: Duration) {
    let deadline = Instant::now() + duration;
    let mut tasks = Vec::new();
    for mut repo in repos {
        let c = client(&a.ca, 1);
        let base = a.url.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut failures = 0u64;
            while Instant::now() < deadline {
                let targets = targets_file(&repo);
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

//! Observability: the Prometheus series (labelled by route/storage operation, never by GUN),
//! the certificate and timestamp expiry gauges, and the liveness/readiness split of
//! `/_notary_server/health`.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use notary_testkit::tufclient::Repo;
use notary_testkit::{client, multipart, notary_cli, Backend, Opts, Server, SignerKind};

/// The samples of an exposition text: `name{labels}` → value. Every non-comment line must be a
/// well-formed sample.
fn samples(text: &str) -> Vec<(String, f64)> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (series, value) = l
                .rsplit_once(' ')
                .unwrap_or_else(|| panic!("malformed sample line {l:?}"));
            let v: f64 = value
                .parse()
                .unwrap_or_else(|_| panic!("malformed value in {l:?}"));
            (series.to_string(), v)
        })
        .collect()
}

fn value(text: &str, series: &str) -> f64 {
    samples(text)
        .into_iter()
        .find(|(s, _)| s == series)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no sample {series} in:\n{text}"))
}

/// The snapshot and timestamp regeneration counters.
fn assert_regenerations(text: &str, snapshots: f64, timestamps: f64) {
    let counter = |role: &str| value(text, &format!("notary_server_{role}_regenerations_total"));
    assert_eq!(
        (counter("snapshot"), counter("timestamp")),
        (snapshots, timestamps)
    );
}

async fn scrape(c: &reqwest::Client, url: &str) -> String {
    let r = c.get(format!("{url}/metrics")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.text().await.unwrap()
}

async fn get(c: &reqwest::Client, url: &str) -> (StatusCode, Option<String>, String) {
    let r = c.get(url).send().await.unwrap();
    let st = r.status();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string());
    (st, ct, r.text().await.unwrap())
}

/// Every histogram's `+Inf` bucket equals its `_count`, and buckets never decrease.
fn check_histograms(text: &str, name: &str) {
    let all = samples(text);
    let counts: Vec<_> = all
        .iter()
        .filter(|(s, _)| s.starts_with(&format!("{name}_count")))
        .collect();
    assert!(!counts.is_empty(), "no {name} histogram in:\n{text}");
    for (series, count) in counts {
        let labels = series
            .strip_prefix(&format!("{name}_count"))
            .unwrap()
            .trim_start_matches('{')
            .trim_end_matches('}');
        let prefix = if labels.is_empty() {
            format!("{name}_bucket{{")
        } else {
            format!("{name}_bucket{{{labels},")
        };
        let buckets: Vec<f64> = all
            .iter()
            .filter(|(s, _)| s.starts_with(&prefix))
            .map(|(_, v)| *v)
            .collect();
        assert_eq!(buckets.len(), 13, "{series}");
        assert!(buckets.windows(2).all(|w| w[0] <= w[1]), "{series}");
        assert_eq!(buckets.last().copied(), Some(*count), "{series}");
    }
}

notary_testkit::test_cases!(async series_have_sane_values {
    metrics_series_have_sane_values_and_never_name_a_gun_postgres => (Backend::Postgres),
    metrics_series_have_sane_values_and_never_name_a_gun_mysql => (Backend::Mysql),
});

async fn series_have_sane_values(backend: Backend) {
    let s = Server::start(Opts::new(backend, SignerKind::Rust));
    let gun = "docker.io/obsvq7zk/app";
    let trust = s.trust_dir("t");
    let (ok, out) = s.notary(&trust, &["init", "-p", gun], None);
    assert!(ok, "{out}\n{}", s.proc.log_text());
    let c = s.client();
    for role in [
        "timestamp",
        "timestamp",
        "timestamp",
        "snapshot",
        "root",
        "targets",
    ] {
        let (st, _, body) = get(&c, &format!("{}/v2/{gun}/_trust/tuf/{role}.json", s.url)).await;
        assert_eq!(st, StatusCode::OK, "{role}: {body}");
    }
    let (st, _, _) = get(
        &c,
        &format!("{}/v2/{gun}/_trust/changefeed?records=10", s.url),
    )
    .await;
    assert_eq!(st, StatusCode::OK);

    let text = scrape(&c, &s.url).await;
    assert!(
        !text.contains("obsvq7zk") && !text.contains(gun),
        "a GUN leaked into the metrics:\n{text}"
    );
    samples(&text); // every line well-formed

    // Dev PKI: leaves live 825 days, the CAs 3650 days.
    let tls = value(&text, "notary_server_tls_cert_expiry_days");
    assert!((823.0..=825.1).contains(&tls), "{tls}");
    let client_cert = value(&text, "notary_server_signer_client_cert_expiry_days");
    assert!((823.0..=825.1).contains(&client_cert), "{client_cert}");
    let ca = value(&text, "notary_server_signer_ca_expiry_days");
    assert!((3648.0..=3650.1).contains(&ca), "{ca}");
    // The timestamp the server just generated lives 14 days.
    let ts = value(&text, "notary_server_timestamp_expiry_days");
    assert!((13.9..=14.0001).contains(&ts), "{ts}");

    for op in [
        "current_chain",
        "update_many",
        "by_checksum",
        "changes",
        "current_timestamps",
    ] {
        let n = value(
            &text,
            &format!("notary_server_db_duration_seconds_count{{op=\"{op}\"}}"),
        );
        assert!(n > 0.0, "{op}: {n}");
        let sum = value(
            &text,
            &format!("notary_server_db_duration_seconds_sum{{op=\"{op}\"}}"),
        );
        assert!(sum > 0.0 && sum < 60.0 * n, "{op}: sum {sum}");
    }
    check_histograms(&text, "notary_server_db_duration_seconds");
    check_histograms(&text, "notary_server_http_request_duration_seconds");
    check_histograms(&text, "notary_server_signer_rpc_duration_seconds");
    assert!(value(&text, "notary_server_signer_rpc_duration_seconds_count") > 0.0);
    assert!(
        value(
            &text,
            "notary_server_http_requests_total{operation=\"GetRole\",code=\"200\"}"
        ) >= 6.0
    );
    assert_eq!(value(&text, "notary_server_publishes_total"), 1.0);
    assert!(value(&text, "notary_server_timestamp_cache_hits_total") >= 1.0);
    assert_regenerations(&text, 0.0, 0.0);
    for name in [
        "notary_server_tls_cert_expiry_days",
        "notary_server_timestamp_expiry_days",
    ] {
        assert!(text.contains(&format!("# TYPE {name} gauge\n")), "{name}");
    }
}

#[tokio::test]
async fn live_stays_up_while_ready_follows_the_signer() {
    let mut s = Server::start(Opts::new(Backend::Sqlite, SignerKind::Rust));
    let c = s.client();
    let health = format!("{}/_notary_server/health", s.url);
    let live = format!("{health}/live");
    let ready = format!("{health}/ready");
    for url in [&health, &live, &ready] {
        let (st, ct, body) = get(&c, url).await;
        assert_eq!(
            (st, body.as_str()),
            (StatusCode::OK, "{}"),
            "{url}\n{}",
            s.proc.log_text()
        );
        assert_eq!(ct.as_deref(), Some("application/json; charset=utf-8"));
    }

    s.signer.as_mut().unwrap().proc.kill();
    for url in [&health, &ready] {
        let (st, ct, body) = get(&c, url).await;
        assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE, "{url}: {body}");
        assert_eq!(ct.as_deref(), Some("application/json; charset=utf-8"));
        let v: Value = serde_json::from_str(&body).unwrap();
        let failing = v.as_object().unwrap();
        assert_eq!(
            failing.keys().collect::<Vec<_>>(),
            ["Trust operational"],
            "{body}"
        );
        // Which check failed, not the signer's raw error (addresses, TLS details).
        assert_eq!(failing["Trust operational"], "unavailable", "{body}");
    }
    let (st, _, body) = get(&c, &live).await;
    assert_eq!((st, body.as_str()), (StatusCode::OK, "{}"));
    // Health probes are not counted as requests.
    let text = scrape(&c, &s.url).await;
    assert!(!text.contains("operation=\"Health"), "{text}");
}

/// SQLite, local signer; `server_extra` is merged into the `server` section and `auth` (if
/// any) becomes the `auth` section.
fn custom(server_extra: Value, auth: Option<Value>) -> Server {
    let mut opts = Opts::new(Backend::Sqlite, SignerKind::Local);
    opts.server_extra = server_extra;
    opts.auth = auth;
    Server::start(opts)
}

#[tokio::test]
async fn health_routes_and_metrics_need_no_token() {
    let tmp = tempfile::tempdir().unwrap();
    let token_ca = notary_devcerts::generate(tmp.path()).unwrap();
    let s = custom(
        json!({}),
        Some(json!({"type": "token", "options": {
            "realm": "https://auth.example.com/token", "service": "notary-server",
            "issuer": "auth.example.com", "rootcertbundle": token_ca.root_ca}})),
    );
    let c = client(&s.pki);
    for path in [
        "/_notary_server/health",
        "/_notary_server/health/live",
        "/_notary_server/health/ready",
    ] {
        let (st, _, body) = get(&c, &format!("{}{path}", s.url)).await;
        assert_eq!(
            (st, body.as_str()),
            (StatusCode::OK, "{}"),
            "{path}\n{}",
            s.proc.log_text()
        );
    }
    let (st, _, _) = get(&c, &format!("{}/metrics", s.url)).await;
    assert_eq!(st, StatusCode::OK);
    // Everything else still asks for a token, including unknown paths under health.
    for path in [
        "/v2/",
        "/_notary_server/health/other",
        "/_notary_server/live",
    ] {
        let (st, _, _) = get(&c, &format!("{}{path}", s.url)).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED, "{path}");
    }
}

#[tokio::test]
async fn expired_snapshot_resigned_on_read_is_counted() {
    let s = custom(json!({"snapshot_expiry_seconds": 2}), None);
    let c = client(&s.pki);
    let gun = "docker.io/obsvq7zk/snap";
    let repo = Repo::new(&c, &s.url, gun, true).await;
    let (ct, body) = multipart(&[
        ("root", &repo.root_file(1)),
        ("targets", &repo.targets_file(1)),
    ]);
    let r = c
        .post(format!("{}/v2/{gun}/_trust/tuf/", s.url))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let text = scrape(&c, &s.url).await;
    assert_eq!(
        value(&text, "notary_server_snapshot_regenerations_total"),
        0.0
    );

    tokio::time::sleep(Duration::from_millis(2500)).await;
    let (st, _, body) = get(&c, &format!("{}/v2/{gun}/_trust/tuf/timestamp.json", s.url)).await;
    assert_eq!(st, StatusCode::OK, "{body}\n{}", s.proc.log_text());
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["signed"]["version"], 2);
    let text = scrape(&c, &s.url).await;
    assert_regenerations(&text, 1.0, 1.0);
    assert!(!text.contains("obsvq7zk"), "{text}");
    // The CLI reads the re-signed repository (the regenerated snapshot verifies).
    let trust = s.dir.path().join("cli");
    std::fs::create_dir_all(&trust).unwrap();
    let (ok, out) = notary_cli(&s.url, &s.pki.root_ca, &trust, &["list", gun], None);
    assert!(ok, "{out}");
}

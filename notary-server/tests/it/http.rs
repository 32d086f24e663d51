//! HTTP-level behaviour against the real binary: routes, statuses, error codes, limits, bad
//! input, health, metrics, changefeed parameters.

use reqwest::{Method, StatusCode};

use notary_testkit::{error_code, multipart, Backend, Opts, Server, SignerKind};

async fn get(s: &Server, path: &str) -> (StatusCode, String) {
    let (st, body) = s.get(path).await;
    (st, String::from_utf8(body).unwrap())
}

fn count(s: &Server, table: &str) -> i64 {
    s.db.sql(&format!("SELECT COUNT(*) FROM {table}"))
        .trim()
        .parse()
        .unwrap()
}

async fn routes_and_bad_input(backend: Backend) {
    let s = Server::start(Opts::new(backend, SignerKind::Local));
    let gun = "docker.io/library/alpine";

    let (st, body) = get(&s, "/v2/").await;
    assert_eq!((st, body.as_str()), (StatusCode::OK, "{}"));

    for path in [
        "/v2",
        "/nothing",
        &format!("/v2/{gun}/_trust/tuf/root.key"),
        &format!("/v2/{gun}/_trust/tuf/root.json"),
        &format!("/v2/{gun}/_trust/tuf/timestamp.json"),
        &format!("/v2/{gun}/_trust/tuf/snapshot.json"),
        &format!("/v2/{gun}/_trust/tuf/targets/releases.json"),
        &format!("/v2/{gun}/_trust/tuf/1.root.json"),
        &format!("/v2/{gun}/_trust/tuf/0.root.json"),
        &format!("/v2/{gun}/_trust/tuf/99999999999999.root.json"),
        &format!("/v2/{gun}/_trust/tuf/root.{}.json", "a".repeat(64)),
    ] {
        let (st, body) = get(&s, path).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{path}: {body}");
        assert_eq!(error_code(&body), "METADATA_NOT_FOUND", "{path}");
    }

    // A GUN with a control character is refused at the edge, whatever the route.
    for path in [
        "/v2/docker.io/a%00b/_trust/tuf/timestamp.key",
        "/v2/docker.io/a%0Ab/_trust/tuf/root.json",
        "/v2/docker.io/a%0D%0Ab/_trust/changefeed",
    ] {
        let (st, body) = get(&s, path).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(error_code(&body), "INVALID_GUN", "{path}");
    }

    // Unclean paths (empty, "." or ".." segments) are refused with the envelope; Go redirects
    // them, possibly to another repository. Dot segments are sent inside one encoded segment
    // (`%2F`), which HTTP clients leave alone; the server decodes the path before routing.
    for path in [
        format!("/v2//{gun}/_trust/tuf/root.json"),
        format!("/v2/{gun}%2F.%2F_trust/tuf/root.json"),
        format!("/v2/other%2F..%2F{gun}/_trust/tuf/root.json"),
        format!("/v2/{gun}/_trust/tuf//"),
    ] {
        let (st, body) = get(&s, &path).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(error_code(&body), "INVALID_PARAMETERS", "{path}");
    }

    // A method no route takes: 405 with the JSON envelope (Go sends an empty 405).
    for (method, path) in [
        (Method::PATCH, "/v2/".to_string()),
        (Method::OPTIONS, format!("/v2/{gun}/_trust/tuf/")),
        (Method::PATCH, format!("/v2/{gun}/_trust/tuf/")),
    ] {
        let r = s
            .client()
            .request(method.clone(), format!("{}{path}", s.url))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(
            error_code(&r.text().await.unwrap()),
            "UNSUPPORTED",
            "{method} {path}"
        );
    }
    let root = format!("/v2/{gun}/_trust/tuf/root.json");
    assert_eq!(s.status(Method::HEAD, &root).await, StatusCode::NOT_FOUND);

    // Key endpoints: the pending key is handed out again until it is used.
    let (st, k1) = get(&s, &format!("/v2/{gun}/_trust/tuf/timestamp.key")).await;
    assert_eq!(st, StatusCode::OK, "{k1}");
    let (_, k2) = get(&s, &format!("/v2/{gun}/_trust/tuf/timestamp.key")).await;
    assert_eq!(k1, k2);
    let v: serde_json::Value = serde_json::from_str(&k1).unwrap();
    assert_eq!(v["keytype"], "ecdsa");
    assert!(v["keyval"]["private"].is_null());
    assert!(k1.starts_with("{\"keytype\":\"ecdsa\",\"keyval\":{\"public\":\"MFkw"));
    let snapshot_key = format!("/v2/{gun}/_trust/tuf/snapshot.key");
    assert_eq!(s.status(Method::POST, &snapshot_key).await, StatusCode::OK);

    // Bad publishes: right status and code, nothing written.
    let path = format!("/v2/{gun}/_trust/tuf/");
    let raw = |ct: &str, body: &[u8]| (ct.to_string(), body.to_vec());
    let form = "multipart/form-data; boundary=xyz";
    // (what, content type and body, code, text the body must contain)
    let cases = [
        ("JSON", raw("application/json", b"{}"), "MALFORMED_UPLOAD", ""),
        ("no boundary", raw(form, b"garbage without boundary"), "MALFORMED_UPLOAD", ""),
        (
            "no final boundary",
            raw(form, b"--xyz\r\nContent-Disposition: form-data; name=\"files\"; filename=\"root\"\r\n\r\n{}"),
            "MALFORMED_UPLOAD",
            "",
        ),
        (
            "no filename",
            raw(form, b"--xyz\r\nContent-Disposition: form-data; name=\"files\"\r\n\r\n{}\r\n--xyz--\r\n"),
            "NO_FILENAME",
            "",
        ),
        (
            "bad role",
            multipart(&[("targets/Bad.Role", b"{}")]),
            "INVALID_ROLE",
            "\"detail\":\"targets/Bad.Role\"",
        ),
        ("bad JSON", multipart(&[("root", b"{not json")]), "MALFORMED_JSON", ""),
        (
            "fractional version",
            multipart(&[("root", b"{\"signed\":{\"version\":1.5}}")]),
            "MALFORMED_JSON",
            "",
        ),
        // Envelope without `signed` and no stored root: a typed validation error, not a panic.
        ("no signed", multipart(&[("targets", b"{}")]), "INVALID_UPDATE", ""),
    ];
    for (what, (ct, body), code, detail) in cases {
        let (st, text) = s.post(&path, &ct, body).await;
        assert_eq!(
            (st, error_code(&text).as_str()),
            (StatusCode::BAD_REQUEST, code),
            "{what}: {text}"
        );
        assert!(text.contains(detail), "{what}: {text}");
    }
    // Too many parts.
    let many: Vec<(String, Vec<u8>)> = (0..1100)
        .map(|i| (format!("targets/d{i}"), b"{}".to_vec()))
        .collect();
    let refs: Vec<(&str, &[u8])> = many
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_slice()))
        .collect();
    let (ct, body) = multipart(&refs);
    let (st, text) = s.post(&path, &ct, body).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{text}");
    // GUN too long.
    let long = format!("/v2/{}/_trust/tuf/", "a".repeat(300));
    let (ct, body) = multipart(&[("root", b"{}")]);
    let (st, text) = s.post(&long, &ct, body).await;
    assert_eq!(
        (st, error_code(&text).as_str()),
        (StatusCode::BAD_REQUEST, "INVALID_GUN")
    );
    assert_eq!(count(&s, "tuf_files"), 0);
    assert_eq!(count(&s, "changefeed"), 0);

    // Changefeed parameters.
    let (st, text) = get(&s, "/v2/_trust/changefeed").await;
    assert_eq!(
        (st, error_code(&text).as_str()),
        (StatusCode::BAD_REQUEST, "INVALID_PARAMETERS")
    );
    assert!(text.contains("invalid records parameter"), "{text}");
    let (st, text) = get(&s, "/v2/_trust/changefeed?records=10&change_id=abc").await;
    assert_eq!(
        (st, error_code(&text).as_str()),
        (StatusCode::BAD_REQUEST, "INVALID_PARAMETERS")
    );
    let (st, text) = get(&s, &format!("/v2/{gun}/_trust/changefeed?records=10")).await;
    assert_eq!(
        (st, text.as_str()),
        (StatusCode::OK, "{\"count\":0,\"records\":[]}")
    );

    // DELETE of an unknown GUN: 200, no changefeed row.
    let tuf = format!("/v2/{gun}/_trust/tuf/");
    assert_eq!(s.status(Method::DELETE, &tuf).await, StatusCode::OK);
    assert_eq!(count(&s, "changefeed"), 0);

    // Health and metrics.
    let (st, text) = get(&s, "/_notary_server/health").await;
    assert_eq!((st, text.as_str()), (StatusCode::OK, "{}"));
    let (st, text) = get(&s, "/metrics").await;
    assert_eq!(st, StatusCode::OK);
    assert!(text.contains("operation=\"GetRole\""), "{text}");
    assert!(!text.contains("alpine"), "metrics must not carry GUNs");
}

notary_testkit::test_cases!(async routes_and_bad_input {
    routes_and_bad_input_sqlite => (Backend::Sqlite),
    routes_and_bad_input_postgres => (Backend::Postgres),
    routes_and_bad_input_mysql => (Backend::Mysql),
});

#[tokio::test]
async fn body_limit_and_gun_prefixes() {
    let mut opts = Opts::new(Backend::Sqlite, SignerKind::Local);
    opts.max_body_bytes = Some(1024);
    opts.gun_prefixes = Some(vec!["docker.io/".into()]);
    let s = Server::start(opts);
    let (ct, body) = multipart(&[("root", &[b'x'; 4096])]);
    let (st, text) = s.post("/v2/docker.io/a/_trust/tuf/", &ct, body).await;
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE, "{text}");
    let (ct, body) = multipart(&[("root", b"{}")]);
    let (st, text) = s.post("/v2/quay.io/a/_trust/tuf/", &ct, body).await;
    assert_eq!(
        (st, error_code(&text).as_str()),
        (StatusCode::BAD_REQUEST, "INVALID_GUN")
    );
    assert!(
        text.contains("\"detail\":\"Require GUNs with prefix: [docker.io/]\""),
        "{text}"
    );
    let (st, text) = get(&s, "/v2/quay.io/a/_trust/tuf/timestamp.key").await;
    assert_eq!(
        (st, error_code(&text).as_str()),
        (StatusCode::NOT_FOUND, "METADATA_NOT_FOUND")
    );
}

#[tokio::test]
async fn publishes_wait_for_a_slot_and_get_503_when_none_frees() {
    use std::io::Write;
    let mut opts = Opts::new(Backend::Sqlite, SignerKind::Local);
    opts.server_extra =
        serde_json::json!({"max_concurrent_publishes": 1, "publish_queue_timeout_seconds": 1});
    let s = Server::start(opts);
    // A publish whose body stops half way holds the only slot.
    let mut slow = notary_testkit::raw_tls(&s.pki, s.port);
    let (ct, body) = multipart(&[("root", b"{}")]);
    write!(
        slow,
        "POST /v2/docker.io/slow/_trust/tuf/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {ct}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    slow.write_all(&body[..10]).unwrap();
    slow.flush().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;

    let r = s
        .client()
        .post(format!("{}/v2/docker.io/waits/_trust/tuf/", s.url))
        .header("content-type", &ct)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.headers()["retry-after"], "1");
    assert_eq!(error_code(&r.text().await.unwrap()), "UNAVAILABLE");
    // Reads are not queued behind publishes.
    let (st, _) = get(&s, "/v2/").await;
    assert_eq!(st, StatusCode::OK);

    // The slow client goes away: its slot is free again for the next publish.
    drop(slow);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let (st, text) = s.post("/v2/docker.io/next/_trust/tuf/", &ct, body).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{text}");
    assert_eq!(error_code(&text), "INVALID_UPDATE", "{text}");
}

#[tokio::test]
async fn health_is_truthful_when_signer_is_down() {
    // A remote signer that is not running: health says so at once, key requests are 5xx.
    let s = Server::start(Opts::new(Backend::Sqlite, SignerKind::Local));
    let port = notary_testkit::free_port();
    let cfg = std::fs::read_to_string(&s.config_path).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&cfg).unwrap();
    v["trust_service"] = serde_json::json!({"type": "remote", "hostname": "127.0.0.1",
        "port": port.to_string(), "tls_ca_file": s.pki.root_ca, "key_algorithm": "ecdsa",
        "tls_client_cert": s.pki.server_cert, "tls_client_key": s.pki.server_key});
    let down = notary_testkit::launch(
        &notary_testkit::Program::server(),
        notary_testkit::Role::Server,
        &s.pki,
        s.dir.path(),
        "down",
        v,
        &[],
        &[],
    );
    let url = down.url();
    let c = s.client();
    let (st, body) = notary_testkit::get(&c, &format!("{url}/_notary_server/health")).await;
    assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE);
    assert!(String::from_utf8_lossy(&body).contains("Trust operational"));
    let key = format!("{url}/v2/a/b/_trust/tuf/timestamp.key");
    let (st, _) = notary_testkit::get(&c, &key).await;
    assert!(st.is_server_error(), "{st}");
}

#[tokio::test]
async fn config_relative_paths_env_overrides_and_go_flags() {
    // Relative paths resolve against the config file's directory (not the cwd), env beats the
    // file, and both `-config FILE` and `--config=FILE` work.
    let dir = tempfile::tempdir().unwrap();
    let pki = notary_devcerts::generate(&dir.path().join("pki")).unwrap();
    let port = notary_testkit::free_port();
    let cfg = serde_json::json!({
        "server": {"http_addr": "127.0.0.1:1", "tls_cert_file": "pki/notary-server.crt",
            "tls_key_file": "pki/notary-server.key"},
        "trust_service": {"type": "remote", "hostname": "nowhere", "port": "1",
            "key_algorithm": "ecdsa", "tls_ca_file": "pki/root-ca.crt"},
        "storage": {"backend": "mysql", "db_url": "nobody@tcp(127.0.0.1:1)/none"},
        "logging": {"level": "error"}
    });
    std::fs::write(dir.path().join("server.json"), cfg.to_string()).unwrap();
    for flag in ["-config", "--config="] {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_notary-server"));
        if flag.ends_with('=') {
            cmd.arg(format!(
                "{flag}{}",
                dir.path().join("server.json").display()
            ));
        } else {
            cmd.arg(flag).arg(dir.path().join("server.json"));
        }
        cmd.current_dir("/")
            .env(
                "NOTARY_SERVER_SERVER_HTTP_ADDR",
                format!("127.0.0.1:{port}"),
            )
            .env("NOTARY_SERVER_STORAGE_BACKEND", "memory")
            .env("NOTARY_SERVER_TRUST_SERVICE_TYPE", "local")
            .arg("-logf")
            .arg("json");
        let mut p = notary_testkit::Proc::spawn("cfg", cmd, dir.path().join("srv.log"));
        // Only this test's server passes: its certificate chains to this test's CA.
        let addr = ([127, 0, 0, 1], port).into();
        p.wait_ready(std::time::Duration::from_secs(20), || {
            notary_testkit::tls_ready(addr, &pki.root_ca, None)
        })
        .unwrap();
        let health = format!("https://127.0.0.1:{port}/_notary_server/health");
        let (st, _) = notary_testkit::get(&notary_testkit::client(&pki), &health).await;
        assert_eq!(st, StatusCode::OK);
        drop(p);
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    // A bad config fails at startup with a message, not a panic.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_notary-server"))
        .arg("-config")
        .arg(dir.path().join("missing.json"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("could not read config"));
}

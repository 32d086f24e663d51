//! HTTP-level token auth: challenges on every protected route, every kind of bad token, the
//! GUN prefix filter before auth, the body never read when unauthorised, fuzzed headers.

use std::io::{Read, Write};
use std::time::Duration;

use serde_json::{json, Value};

use crate::harness::{AuthServer, Options, ISSUER, SERVICE};
use crate::tokens::{self, claims, mint_with, KeyKind, KeyRef, TokenCa};
use notary_testkit::TestDb;

const GUN: &str = "docker.io/test/app";

fn challenge(s: &AuthServer, scope: &str, error: Option<&str>) -> String {
    let mut c = format!(
        "Bearer realm=\"{}\",service=\"{SERVICE}\",scope=\"{scope}\"",
        s.realm_url
    );
    if let Some(e) = error {
        c.push_str(&format!(",error=\"{e}\""));
    }
    c
}

async fn send(
    s: &AuthServer,
    method: &str,
    path: &str,
    auth: Option<&str>,
) -> (u16, Option<String>, String) {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut rb = s.client().request(m, format!("{}{path}", s.url));
    if let Some(a) = auth {
        rb = rb.header("Authorization", a);
    }
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    let www = r
        .headers()
        .get("www-authenticate")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    (status, www, r.text().await.unwrap())
}

fn detail(records: &[(&str, &str, &str)]) -> Value {
    Value::Array(
        records
            .iter()
            .map(|(t, n, a)| json!({"Type": t, "Class": "", "Name": n, "Action": a}))
            .collect(),
    )
}

/// (method, path, scope, required records).
type Case<'a> = (&'a str, String, String, Vec<(&'a str, &'a str, &'a str)>);

#[tokio::test]
async fn no_credentials_every_protected_route_gets_the_exact_challenge() {
    let s = AuthServer::start(Options {
        realm: false,
        ..Options::default()
    });
    let sha = "a".repeat(64);
    let tuf = |file: &str| format!("/v2/{GUN}/_trust/tuf/{file}");
    let catalog = |method, path: &str| -> Case<'_> {
        (
            method,
            path.into(),
            "registry:catalog:*".into(),
            vec![("registry", "catalog", "*")],
        )
    };
    // The GUN's repository scope with `actions`, and one required record per action.
    let repo = |method, path: String, actions: &'static [&'static str]| -> Case<'_> {
        let records = actions.iter().map(|a| ("repository", GUN, *a)).collect();
        (
            method,
            path,
            format!("repository:{GUN}:{}", actions.join(",")),
            records,
        )
    };
    let cases: Vec<Case<'_>> = vec![
        catalog("GET", "/v2/"),
        repo("POST", tuf(""), &["push", "pull"]),
        repo("GET", tuf(&format!("root.{sha}.json")), &["pull"]),
        repo("GET", tuf("3.root.json"), &["pull"]),
        repo("GET", tuf("timestamp.json"), &["pull"]),
        repo("GET", tuf("targets/releases.json"), &["pull"]),
        repo("GET", tuf("snapshot.key"), &["push", "pull"]),
        repo("POST", tuf("timestamp.key"), &["*"]),
        repo("DELETE", tuf(""), &["*"]),
        repo("GET", format!("/v2/{GUN}/_trust/changefeed"), &["pull"]),
        catalog("GET", "/v2/_trust/changefeed"),
        catalog("GET", "/nothing/here"),
        catalog("PUT", "/v2/"),
    ];
    for (method, path, scope, records) in cases {
        for auth in [
            None,
            Some("Basic dXNlcjpwYXNz"),
            Some("Bearer a b"),
            Some("Bearer"),
        ] {
            let (status, www, body) = send(&s, method, &path, auth).await;
            assert_eq!(status, 401, "{method} {path} {auth:?}: {body}");
            assert_eq!(
                www.as_deref(),
                Some(challenge(&s, &scope, None).as_str()),
                "{method} {path} {auth:?}"
            );
            assert!(body.ends_with('\n'));
            let v: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(
                v,
                json!({"errors": [{"code": "UNAUTHORIZED", "message": "authentication required",
                    "detail": detail(&records)}]}),
                "{method} {path}"
            );
        }
    }
    // Health and metrics are never authenticated; PATCH is still a 405.
    assert_eq!(send(&s, "GET", "/_notary_server/health", None).await.0, 200);
    let (st, _, metrics) = send(&s, "GET", "/metrics", None).await;
    assert_eq!(st, 200);
    // Refused requests are counted under their operation, as in Go.
    assert!(
        metrics
            .contains("notary_server_http_requests_total{operation=\"UpdateTUF\",code=\"401\"} 4"),
        "{metrics}"
    );
    assert_eq!(send(&s, "PATCH", "/v2/", None).await.0, 405);
    // Exact Go bytes of one envelope.
    let (_, _, body) = send(&s, "GET", "/v2/", None).await;
    assert_eq!(
        body,
        "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\",\"detail\":[{\"Type\":\"registry\",\"Class\":\"\",\"Name\":\"catalog\",\"Action\":\"*\"}]}]}\n"
    );
}

fn bearer(t: &str) -> String {
    format!("Bearer {t}")
}

/// Status and challenge for a GET of the GUN's timestamp with this token.
async fn try_token(s: &AuthServer, token: &str) -> (u16, Option<String>) {
    let (st, www, _) = send(
        s,
        "GET",
        &format!("/v2/{GUN}/_trust/tuf/timestamp.json"),
        Some(&bearer(token)),
    )
    .await;
    (st, www)
}

#[tokio::test]
async fn token_verification_cases() {
    let s = AuthServer::start(Options {
        realm: false,
        ..Options::default()
    });
    let pull: &[(&str, &str, &[&str])] = &[("repository", GUN, &["pull"])];
    let good = claims(ISSUER, SERVICE, pull);
    let scope = format!("repository:{GUN}:pull");
    let invalid = challenge(&s, &scope, Some("invalid_token"));
    let insufficient = challenge(&s, &scope, Some("insufficient_scope"));
    let no_error = challenge(&s, &scope, None);

    // Accepted: the signing key named by x5c, by jwk, by kid; the CA's own key by kid and jwk;
    // a grant of `*`; padded base64; a lowercase scheme. Authorised = the handler's 404.
    let star: &[(&str, &str, &[&str])] = &[("repository", GUN, &["*"])];
    let ca_key = s.ca.as_signer();
    let b64 = |v: &Value| {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE.encode(v.to_string())
    };
    let padded = {
        let t = s.key.mint(KeyRef::X5c, &good);
        let mut parts: Vec<String> = t.split('.').map(String::from).collect();
        parts[0] = b64(&s.key.header(KeyRef::X5c));
        let input = format!("{}.{}", parts[0], parts[1]);
        let sig = s.key.sign(input.as_bytes());
        use base64::Engine as _;
        format!(
            "{input}.{}",
            base64::engine::general_purpose::URL_SAFE.encode(sig)
        )
    };
    let es384 = s.ca.signing_key_of("es384 signer", KeyKind::Es384);
    let rs256 = s.ca.signing_key_of("rs256 signer", KeyKind::Rs256);
    for (name, tok) in [
        ("x5c", s.key.mint(KeyRef::X5c, &good)),
        ("ES384 x5c", es384.mint(KeyRef::X5c, &good)),
        ("ES384 jwk with x5c", es384.mint(KeyRef::JwkX5c, &good)),
        ("RS256 x5c", rs256.mint(KeyRef::X5c, &good)),
        ("RS256 jwk with x5c", rs256.mint(KeyRef::JwkX5c, &good)),
        ("jwk with x5c", s.key.mint(KeyRef::JwkX5c, &good)),
        ("ca kid", ca_key.mint(KeyRef::Kid, &good)),
        ("ca jwk", ca_key.mint(KeyRef::Jwk, &good)),
        (
            "star",
            s.key.mint(KeyRef::X5c, &claims(ISSUER, SERVICE, star)),
        ),
        ("padded", padded),
    ] {
        let (st, www) = try_token(&s, &tok).await;
        assert_eq!(st, 404, "{name}: {www:?}\n{}", s.log());
        let (st, _) = {
            let (st, www, _) = send(
                &s,
                "GET",
                &format!("/v2/{GUN}/_trust/tuf/timestamp.json"),
                Some(&format!("bEaReR {tok}")),
            )
            .await;
            (st, www)
        };
        assert_eq!(st, 404, "{name} lowercase scheme");
    }

    let n = tokens::now();
    let with = |patch: Value| {
        let mut c = good.clone();
        for (k, v) in patch.as_object().unwrap() {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(k);
            } else {
                c[k] = v.clone();
            }
        }
        c
    };
    let other_ca = TokenCa::new("Other CA");
    let outsider = other_ca.signing_key("outsider");
    let hs256 = |header: Value| {
        let spki = s.key.spki_der.clone();
        mint_with(&header, &good, move |m| {
            let k = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &spki);
            ring::hmac::sign(&k, m).as_ref().to_vec()
        })
    };
    let mut x5c_hs = s.key.header(KeyRef::X5c);
    x5c_hs["alg"] = json!("HS256");
    let mut kid_hs = s.key.header(KeyRef::Kid);
    kid_hs["alg"] = json!("HS256");
    // A token signed by `key` whose header claims the algorithm `alg`.
    let claiming = |key: &tokens::TokenKey, alg: &str| {
        let mut h = key.header(KeyRef::X5c);
        h["alg"] = json!(alg);
        mint_with(&h, &good, |m| key.sign(m))
    };
    let mut none_hdr = s.key.header(KeyRef::X5c);
    none_hdr["alg"] = json!("none");
    let bad_sig = {
        let t = s.key.mint(KeyRef::X5c, &good);
        let (head, sig) = t.rsplit_once('.').unwrap();
        use base64::Engine as _;
        let mut raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(sig)
            .unwrap();
        raw[10] ^= 0x55;
        format!(
            "{head}.{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
        )
    };
    let other_claims = {
        // Valid signature, but the claims were swapped after signing.
        let t = s.key.mint(KeyRef::X5c, &good);
        let parts: Vec<&str> = t.split('.').collect();
        use base64::Engine as _;
        let c2 = with(json!({"sub": "mallory"}));
        format!(
            "{}.{}.{}",
            parts[0],
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(c2.to_string()),
            parts[2]
        )
    };
    let cases: Vec<(&str, String, &String)> = vec![
        (
            "expired",
            s.key.mint(KeyRef::X5c, &with(json!({"exp": n - 61}))),
            &invalid,
        ),
        (
            "no exp",
            s.key.mint(KeyRef::X5c, &with(json!({"exp": null}))),
            &invalid,
        ),
        (
            "not yet valid",
            s.key.mint(KeyRef::X5c, &with(json!({"nbf": n + 120}))),
            &invalid,
        ),
        (
            "wrong issuer",
            s.key
                .mint(KeyRef::X5c, &with(json!({"iss": "someone-else"}))),
            &invalid,
        ),
        (
            "no issuer",
            s.key.mint(KeyRef::X5c, &with(json!({"iss": null}))),
            &invalid,
        ),
        (
            "wrong audience",
            s.key
                .mint(KeyRef::X5c, &with(json!({"aud": "other-service"}))),
            &invalid,
        ),
        (
            "array audience",
            s.key.mint(KeyRef::X5c, &with(json!({"aud": [SERVICE]}))),
            &invalid,
        ),
        ("bad signature", bad_sig, &invalid),
        ("claims swapped", other_claims, &invalid),
        (
            "empty signature",
            {
                let t = s.key.mint(KeyRef::X5c, &good);
                format!("{}.", t.rsplit_once('.').unwrap().0)
            },
            &invalid,
        ),
        (
            "cert outside bundle",
            outsider.mint(KeyRef::X5c, &good),
            &invalid,
        ),
        (
            "jwk outside bundle",
            outsider.mint(KeyRef::Jwk, &good),
            &invalid,
        ),
        (
            "kid outside bundle",
            outsider.mint(KeyRef::Kid, &good),
            &invalid,
        ),
        (
            "leaf jwk without chain",
            s.key.mint(KeyRef::Jwk, &good),
            &invalid,
        ),
        (
            "jwk with x5c outside bundle",
            outsider.mint(KeyRef::JwkX5c, &good),
            &invalid,
        ),
        (
            "jwk not matching its x5c",
            {
                let mut h = outsider.header(KeyRef::Jwk);
                use base64::Engine as _;
                let leaf = base64::engine::general_purpose::STANDARD.encode(&s.key.cert_der);
                h["jwk"]["x5c"] = json!([leaf]);
                mint_with(&h, &good, |m| outsider.sign(m))
            },
            &invalid,
        ),
        (
            "leaf kid (not a bundle cert)",
            s.key.mint(KeyRef::Kid, &good),
            &invalid,
        ),
        (
            "alg none",
            mint_with(&none_hdr, &good, |_| Vec::new()),
            &invalid,
        ),
        (
            "alg none with signature",
            mint_with(&none_hdr, &good, |_| vec![1, 2, 3]),
            &invalid,
        ),
        ("HS256 keyed with public key (x5c)", hs256(x5c_hs), &invalid),
        ("HS256 keyed with public key (kid)", hs256(kid_hs), &invalid),
        (
            "no key reference",
            mint_with(&json!({"alg": "ES256"}), &good, |m| s.key.sign(m)),
            &invalid,
        ),
        (
            "ES384 key claimed as ES256",
            claiming(&es384, "ES256"),
            &invalid,
        ),
        (
            "RS256 signature claimed as RS512",
            claiming(&rs256, "RS512"),
            &invalid,
        ),
        (
            "RSA key claimed as ES256",
            claiming(&rs256, "ES256"),
            &invalid,
        ),
        ("two parts", "abc.def".to_string(), &invalid),
        ("garbage", "!!!!".to_string(), &invalid),
        // "Bearer " loses its trailing space on the wire (HTTP strips it, as Go's server does).
        ("empty token", String::new(), &no_error),
        (
            "other GUN",
            s.key.mint(
                KeyRef::X5c,
                &claims(
                    ISSUER,
                    SERVICE,
                    &[("repository", "docker.io/test/other", &["*"])],
                ),
            ),
            &insufficient,
        ),
        (
            "GUN prefix only",
            s.key.mint(
                KeyRef::X5c,
                &claims(ISSUER, SERVICE, &[("repository", "docker.io/test", &["*"])]),
            ),
            &insufficient,
        ),
        (
            "push only",
            s.key.mint(
                KeyRef::X5c,
                &claims(ISSUER, SERVICE, &[("repository", GUN, &["push"])]),
            ),
            &insufficient,
        ),
        (
            "wrong type",
            s.key.mint(
                KeyRef::X5c,
                &claims(ISSUER, SERVICE, &[("registry", GUN, &["*"])]),
            ),
            &insufficient,
        ),
        (
            "no access",
            s.key.mint(KeyRef::X5c, &claims(ISSUER, SERVICE, &[])),
            &insufficient,
        ),
    ];
    for (name, tok, expect) in &cases {
        let (st, www) = try_token(&s, tok).await;
        assert_eq!(st, 401, "{name}");
        assert_eq!(www.as_deref(), Some(expect.as_str()), "{name}");
    }
    // Catalog routes need registry:catalog:*; a repository token does not do.
    let tok = s.key.mint(KeyRef::X5c, &claims(ISSUER, SERVICE, star));
    let (st, www, _) = send(&s, "GET", "/v2/", Some(&bearer(&tok))).await;
    assert_eq!(st, 401);
    assert_eq!(
        www.as_deref(),
        Some(challenge(&s, "registry:catalog:*", Some("insufficient_scope")).as_str())
    );
    let tok = s.key.mint(
        KeyRef::X5c,
        &claims(ISSUER, SERVICE, &[("registry", "catalog", &["*"])]),
    );
    let (st, _, body) = send(&s, "GET", "/v2/", Some(&bearer(&tok))).await;
    assert_eq!((st, body.as_str()), (200, "{}"));

    // The log says why, and never prints a token.
    let log = s.log();
    assert!(log.contains("not the configured issuer"), "{log}");
    assert!(log.contains("expired"), "{log}");
    assert!(
        log.contains(&format!("does not grant repository:{GUN}:pull")),
        "{log}"
    );
    for (name, tok, _) in &cases {
        if tok.len() > 20 {
            let sig = tok.rsplit('.').next().unwrap();
            assert!(sig.len() < 8 || !log.contains(sig), "{name}: token in log");
            assert!(!log.contains(tok.as_str()), "{name}: token in log");
        }
    }
}

#[tokio::test]
async fn gun_prefixes_apply_before_auth() {
    let s = AuthServer::start(Options {
        realm: false,
        gun_prefixes: Some(vec!["docker.io/".into()]),
        ..Options::default()
    });
    let (st, www, body) = send(&s, "GET", "/v2/quay.io/x/_trust/tuf/root.json", None).await;
    assert_eq!((st, www), (404, None), "{body}");
    let (st, _, body) = send(&s, "POST", "/v2/quay.io/x/_trust/tuf/", None).await;
    assert_eq!(st, 400);
    assert!(body.contains("INVALID_GUN"), "{body}");
    let (st, www, _) = send(&s, "GET", "/v2/docker.io/x/_trust/tuf/root.json", None).await;
    assert_eq!(st, 401);
    assert!(www
        .unwrap()
        .contains("scope=\"repository:docker.io/x:pull\""));
}

#[tokio::test]
async fn autoredirect_advertises_the_request_host() {
    let s = AuthServer::start(Options {
        realm: false,
        autoredirect: true,
        ..Options::default()
    });
    let (st, www, _) = send(&s, "GET", "/v2/", None).await;
    assert_eq!(st, 401);
    assert_eq!(
        www.unwrap(),
        format!(
            "Bearer realm=\"https://127.0.0.1:{}/auth/token\",service=\"{SERVICE}\",scope=\"registry:catalog:*\"",
            s.port
        )
    );
}

#[test]
fn unauthorised_publish_is_refused_before_the_body_is_read() {
    let s = AuthServer::start(Options {
        realm: false,
        ..Options::default()
    });
    // Announce a 50 MB multipart body and send none of it: the 401 must still arrive.
    let mut tls = notary_testkit::raw_tls(&s.pki, s.port);
    let req = format!(
        "POST /v2/{GUN}/_trust/tuf/ HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 50000000\r\n\r\n",
        s.port
    );
    tls.write_all(req.as_bytes()).unwrap();
    tls.flush().unwrap();
    let mut buf = [0u8; 4096];
    let n = tls
        .read(&mut buf)
        .expect("response before the body was sent");
    let head = String::from_utf8_lossy(&buf[..n]);
    assert!(head.starts_with("HTTP/1.1 401"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("www-authenticate: bearer realm="),
        "{head}"
    );
}

/// Deterministic xorshift generator for the fuzz inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

#[tokio::test]
async fn fuzzed_authorization_headers_never_break_the_server() {
    use base64::Engine as _;
    let s = AuthServer::start(Options {
        realm: false,
        ..Options::default()
    });
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let good = s.key.mint(
        KeyRef::X5c,
        &claims(ISSUER, SERVICE, &[("repository", GUN, &["pull"])]),
    );
    let parts: Vec<String> = good.split('.').map(String::from).collect();
    let json_bits = [
        "{}", "[]", "null", "1e999", "{\"alg\":\"ES256\",\"x5c\":[1]}", "{\"alg\":\"ES256\",\"jwk\":{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA\",\"y\":\"\"}}",
        "{\"alg\":\"RS256\",\"jwk\":{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}}", "{\"alg\":\"ES512\",\"kid\":\"AAAA:BBBB\"}",
        "{\"alg\":\"ES256\",\"x5c\":[\"MIIB\"]}", "{\"exp\":9223372036854775807,\"nbf\":-9223372036854775808,\"iss\":\"test-token-issuer\",\"aud\":\"notary-test-service\"}",
        "{\"access\":[{\"type\":null}]}", "\"\u{0}\"",
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut sent = 0;
    for i in 0..1500 {
        let token: Vec<u8> = match i % 6 {
            0 => (0..(rng.next() % 300))
                .map(|_| (rng.next() % 224 + 32) as u8)
                .filter(|b| *b != 127)
                .collect(),
            1 => format!(
                "{}.{}.{}",
                b64(rng.pick(&json_bits).as_bytes()),
                b64(rng.pick(&json_bits).as_bytes()),
                b64(&rng.next().to_le_bytes())
            )
            .into_bytes(),
            2 => {
                // Mutate one byte of a valid token.
                let mut t = good.clone().into_bytes();
                let at = (rng.next() % t.len() as u64) as usize;
                t[at] = (rng.next() % 94 + 33) as u8;
                t
            }
            3 => format!(
                "{}.{}.{}",
                parts[0],
                b64(rng.pick(&json_bits).as_bytes()),
                parts[2]
            )
            .into_bytes(),
            4 => format!("{}.{}", parts[0], ".".repeat((rng.next() % 5) as usize)).into_bytes(),
            _ => format!(
                "{}.{}.{}",
                b64(rng.pick(&json_bits).as_bytes()),
                parts[1],
                parts[2]
            )
            .into_bytes(),
        };
        let scheme = *rng.pick(&["Bearer ", "bearer ", "BEARER  ", "Basic ", "", "Bearer\t"]);
        let mut value = scheme.as_bytes().to_vec();
        value.extend_from_slice(&token);
        let Ok(hv) = reqwest::header::HeaderValue::from_bytes(&value) else {
            continue;
        };
        let r = s
            .client()
            .get(format!("{}/v2/{GUN}/_trust/tuf/timestamp.json", s.url))
            .header("Authorization", hv)
            .send()
            .await
            .unwrap();
        let st = r.status().as_u16();
        assert!(st == 401 || st == 404, "status {st}");
        sent += 1;
    }
    assert!(sent > 1000);
    let (st, _) = try_token(&s, &good).await;
    assert_eq!(st, 404, "server still verifies tokens");
    assert!(!s.log().contains("panicked"), "{}", s.log());
}

#[test]
fn startup_errors_for_bad_auth_options() {
    use notary_testkit::{cargo_bin, launch, server_config, Backend, Env, Proc, Program, Role};
    let env = Env::new();
    let dir = &env.dir;
    let db = TestDb::new(Backend::Sqlite);
    let config = |auth: &Value| {
        let mut c = server_config(&env.pki, &db, None);
        c["auth"] = auth.clone();
        c
    };
    std::fs::write(dir.path().join("empty.crt"), "").unwrap();
    std::fs::write(dir.path().join("ok.crt"), TokenCa::new("x").pem()).unwrap();
    let opts = |o: Value| json!({"type": "token", "options": o});
    let full = json!({"realm": "https://r/token", "service": "s", "issuer": "i", "rootcertbundle": "ok.crt"});
    let without = |k: &str| {
        let mut o = full.clone();
        o.as_object_mut().unwrap().remove(k);
        opts(o)
    };
    let mut not_string = full.clone();
    not_string["service"] = json!(5);
    let mut bad_redirect = full.clone();
    bad_redirect["autoredirect"] = json!("yes");
    let mut missing_file = full.clone();
    missing_file["rootcertbundle"] = json!("nope.crt");
    let mut empty_file = full.clone();
    empty_file["rootcertbundle"] = json!("empty.crt");
    let cases = [
        (
            json!({"type": "token"}),
            "auth.options must be a map[string]interface{}".to_string(),
        ),
        (
            json!({"type": "token", "options": "x"}),
            "auth.options must be a map[string]interface{}".to_string(),
        ),
        (
            without("realm"),
            "token auth requires a valid option string: \"realm\"".to_string(),
        ),
        (
            without("service"),
            "token auth requires a valid option string: \"service\"".to_string(),
        ),
        (
            without("issuer"),
            "token auth requires a valid option string: \"issuer\"".to_string(),
        ),
        (
            without("rootcertbundle"),
            "token auth requires a valid option string: \"rootcertbundle\"".to_string(),
        ),
        (
            opts(not_string),
            "token auth requires a valid option string: \"service\"".to_string(),
        ),
        (
            opts(bad_redirect),
            "token auth requires a valid option bool: autoredirect".to_string(),
        ),
        (
            opts(missing_file),
            "unable to open token auth root certificate bundle file".to_string(),
        ),
        (
            opts(empty_file),
            "token auth requires at least one token signing root certificate".to_string(),
        ),
    ];
    for (auth, expect) in cases {
        // Started on a listener of its own; it must exit before serving.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut cfg = config(&auth);
        cfg["server"]["http_addr"] = json!(listener.local_addr().unwrap().to_string());
        let path = dir.path().join("bad-auth.json");
        std::fs::write(&path, cfg.to_string()).unwrap();
        let mut cmd = std::process::Command::new(cargo_bin("notary-server", "notary-server"));
        cmd.arg("-config").arg(&path).arg("-logf").arg("text");
        let log = dir.path().join("bad-auth.log");
        let mut p = Proc::spawn_with_listener("bad-auth", cmd, log, listener);
        let _ = p.wait_ready(Duration::from_secs(20), || false);
        let status = p
            .exited()
            .unwrap_or_else(|| panic!("{auth} did not stop the server"));
        assert!(!status.success(), "{auth}");
        let log = p.log_text();
        assert!(
            log.contains(&expect),
            "{auth}: expected {expect:?} in\n{log}"
        );
    }
    // Any other type means no authentication (Go).
    for auth in [json!({"type": "htpasswd", "options": {}}), json!({})] {
        let (program, role) = (Program::server(), Role::Server);
        let s = launch(
            &program,
            role,
            &env.pki,
            dir.path(),
            "noauth",
            config(&auth),
            &[],
            &[],
        );
        let rt = tokio::runtime::Runtime::new().unwrap();
        let st = rt.block_on(async {
            notary_testkit::client(&env.pki)
                .get(format!("{}/v2/", s.url()))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        });
        assert_eq!(st, 200);
    }
}

#[tokio::test]
async fn a_cached_token_still_expires() {
    let s = AuthServer::start(Options {
        realm: false,
        ..Options::default()
    });
    // exp 55 s ago: usable for about 5 more seconds thanks to the 60 s leeway.
    let mut c = claims(ISSUER, SERVICE, &[("repository", GUN, &["pull"])]);
    c["exp"] = json!(tokens::now() - 55);
    let tok = s.key.mint(KeyRef::X5c, &c);
    for _ in 0..3 {
        assert_eq!(try_token(&s, &tok).await.0, 404, "{}", s.log());
    }
    tokio::time::sleep(Duration::from_secs(7)).await;
    let (st, www) = try_token(&s, &tok).await;
    assert_eq!(st, 401);
    assert!(www.unwrap().ends_with(",error=\"invalid_token\""));
    assert!(s.log().contains("expired"), "{}", s.log());
}

//! HTTPS clients and Notary v1 wire helpers.

use std::time::Duration;

use notary_devcerts::DevPki;

/// An HTTPS client trusting only the dev root CA of `pki`.
pub fn client(pki: &DevPki) -> reqwest::Client {
    client_builder(pki)
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client")
}

/// A client builder trusting only the dev root CA of `pki` (rustls, no built-in roots).
pub fn client_builder(pki: &DevPki) -> reqwest::ClientBuilder {
    let ca = std::fs::read(&pki.root_ca).expect("root ca");
    reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("ca pem"))
}

/// A raw HTTP/1.1-over-TLS connection to `127.0.0.1:port` trusting only the dev root CA of
/// `pki` (blocking rustls, 10 s read timeout): for requests an HTTP client will not send, such
/// as a body that stops half way.
pub fn raw_tls(
    pki: &DevPki,
    port: u16,
) -> rustls::StreamOwned<rustls::ClientConnection, std::net::TcpStream> {
    let cfg = crate::proc::tls_client(&pki.root_ca, None).expect("tls client config");
    let name = "127.0.0.1".try_into().expect("server name");
    let conn = rustls::ClientConnection::new(std::sync::Arc::new(cfg), name).expect("tls client");
    let tcp = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    tcp.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    rustls::StreamOwned::new(conn, tcp)
}

/// Go's multipart body for a publish (one part per role, filename = role): (content type,
/// body).
pub fn multipart(parts: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "notarytestboundary1234";
    let mut body = Vec::new();
    for (role, data) in parts {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{role}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The single code of an error envelope.
pub fn error_code(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body)
        .unwrap_or_else(|e| panic!("not an error envelope ({e}): {body}"));
    v["errors"][0]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no code: {body}"))
        .to_string()
}

/// GET `url`: (status, body).
pub async fn get(c: &reqwest::Client, url: &str) -> (reqwest::StatusCode, Vec<u8>) {
    let r = c.get(url).send().await.expect("GET request");
    (r.status(), r.bytes().await.expect("GET body").to_vec())
}

/// POST `body` as `content_type` to `url`: (status, body text).
pub async fn post(
    c: &reqwest::Client,
    url: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (reqwest::StatusCode, String) {
    let r = c
        .post(url)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("POST request");
    let st = r.status();
    (st, r.text().await.expect("POST body"))
}

/// Publishes `parts` (role, bytes) to `gun` on the server at `base`, as Go's client uploads
/// them: (status, body text).
pub async fn publish(
    c: &reqwest::Client,
    base: &str,
    gun: &str,
    parts: &[(&str, &[u8])],
) -> (reqwest::StatusCode, String) {
    let (ct, body) = multipart(parts);
    post(c, &format!("{base}/v2/{gun}/_trust/tuf/"), &ct, body).await
}

/// The first publish of `repo` with a server-managed snapshot (root and targets version 1) to
/// the server at `base`: (status, body text).
pub async fn publish_initial(
    c: &reqwest::Client,
    base: &str,
    gun: &str,
    repo: &crate::tufclient::Repo,
) -> (reqwest::StatusCode, String) {
    let parts: [(&str, &[u8]); 2] = [
        ("root", &repo.root_file(1)),
        ("targets", &repo.targets_file(1)),
    ];
    publish(c, base, gun, &parts).await
}

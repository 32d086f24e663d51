//! Mutual TLS: who may connect, with CA files, the Go fixture layout (leaf + intermediate)
//! and a pinned leaf.

use std::path::Path;
use std::sync::Arc;

use crate::support::*;

/// True if a health check over a connection with `id` succeeds.
async fn accepted(env: &Env, signer: &TestSigner, id: ClientId<'_>) -> bool {
    let Ok(channel) = try_channel(env, signer.addr, id).await else {
        return false;
    };
    Clients::new(channel).health("").await.is_ok()
}

async fn start_with_ca(env: &Env, db: &TestDb, ca: Option<&Path>) -> TestSigner {
    env.set_passphrase("testalias", "pw");
    let opts = Options {
        client_ca: ca.map(Path::to_path_buf),
        alias: "testalias".into(),
    };
    TestSigner::start(env, db, &opts).await
}

/// Clients no signer configuration accepts: none, another CA's, an expired one.
fn refused(p: &notary_devcerts::DevPki) -> [(&'static str, ClientId<'_>, bool); 3] {
    [
        ("no client certificate", None, false),
        (
            "untrusted CA",
            Some((&p.untrusted_client_cert, &p.untrusted_client_key)),
            false,
        ),
        (
            "expired",
            Some((&p.expired_client_cert, &p.expired_client_key)),
            false,
        ),
    ]
}

/// Every (what, client identity, accepted?) case holds against `signer`.
async fn expect(env: &Env, signer: &TestSigner, cases: &[(&str, ClientId<'_>, bool)]) {
    for (what, id, ok) in cases {
        assert_eq!(accepted(env, signer, *id).await, *ok, "{what}");
    }
}

/// With `client_ca_file` = `ca`, the [`refused`] clients and `cases` hold.
async fn expect_with_ca<'a>(env: &'a Env, ca: &Path, cases: &[(&'a str, ClientId<'a>, bool)]) {
    let db = TestDb::new(Db::Sqlite);
    let signer = start_with_ca(env, &db, Some(ca)).await;
    let mut all: Vec<(&str, ClientId<'_>, bool)> = refused(&env.pki).to_vec();
    all.extend_from_slice(cases);
    expect(env, &signer, &all).await;
}

/// notary-server's own certificate: accepted by every CA configuration below.
fn server_leaf(p: &notary_devcerts::DevPki) -> (&'static str, ClientId<'_>, bool) {
    ("server leaf", Some((&*p.server_cert, &*p.server_key)), true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaf_and_intermediate_bundle_like_go_fixtures() {
    let env = Env::new();
    let p = &env.pki;
    // Go's sample config: client_ca_file = notary-server.crt (leaf + intermediate).
    let cases = [
        server_leaf(p),
        // Same intermediate, another leaf: the intermediate is an anchor, so it is accepted too.
        (
            "sibling leaf",
            Some((&*p.signer_cert, &*p.signer_key)),
            true,
        ),
        (
            "other intermediate under the same root",
            Some((
                &*p.other_intermediate_client_cert,
                &*p.other_intermediate_client_key,
            )),
            false,
        ),
    ];
    expect_with_ca(&env, &p.server_cert, &cases).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ca_bundle() {
    let env = Env::new();
    expect_with_ca(&env, &env.pki.ca_bundle, &[server_leaf(&env.pki)]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pinned_leaf() {
    let env = Env::new();
    let p = &env.pki;
    // Only notary-server's leaf certificate (first PEM block), no CA at all.
    let chain = std::fs::read_to_string(&p.server_cert).unwrap();
    let end = chain.find("-----END CERTIFICATE-----").unwrap() + "-----END CERTIFICATE-----".len();
    let pinned = env.path().join("pinned-server.crt");
    std::fs::write(&pinned, format!("{}\n", &chain[..end])).unwrap();

    let cases = [
        server_leaf(p),
        (
            "a sibling leaf of the same intermediate is not the pinned certificate",
            Some((&*p.signer_cert, &*p.signer_key)),
            false,
        ),
    ];
    expect_with_ca(&env, &pinned, &cases).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explicit_opt_out_accepts_clients_without_certificates() {
    let env = Env::new();
    let db = TestDb::new(Db::Sqlite);
    let signer = start_with_ca(&env, &db, None).await;
    assert!(accepted(&env, &signer, None).await);
}

/// Raw TLS handshakes: TLS 1.2 and 1.3 both negotiate, ALPN is h2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls12_and_tls13_with_alpn_h2() {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

    let env = Env::new();
    let db = TestDb::new(Db::Sqlite);
    let p = env.pki.clone();
    let signer = start_with_ca(&env, &db, Some(&p.ca_bundle)).await;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(&p.root_ca).unwrap())
        .unwrap();
    for version in [&rustls::version::TLS12, &rustls::version::TLS13] {
        let chain: Vec<_> = CertificateDer::pem_file_iter(&p.server_cert)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let key = PrivateKeyDer::from_pem_file(&p.server_key).unwrap();
        let mut cfg = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[version])
            .unwrap()
            .with_root_certificates(roots.clone())
            .with_client_auth_cert(chain, key)
            .unwrap();
        cfg.alpn_protocols = vec![b"h2".to_vec()];
        let tcp = tokio::net::TcpStream::connect(signer.addr).await.unwrap();
        let tls = tokio_rustls::TlsConnector::from(Arc::new(cfg))
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await
            .unwrap();
        let (_, conn) = tls.get_ref();
        assert_eq!(conn.alpn_protocol(), Some(&b"h2"[..]));
        assert_eq!(conn.protocol_version(), Some(version.version));
    }
}

//! Wiring: the process state built from a [`Config`], and the HTTP(S) server on a listener.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::{web, App, HttpServer};

use crate::config::{Config, TrustServiceConfig};
use crate::gun::GunPolicy;
use crate::http::routes::Router;
use crate::http::HttpState;
use crate::metrics::{pem_not_after, Metrics};
use crate::signer::local::LocalSigner;
use crate::signer::remote::RemoteSigner;
use crate::signer::CryptoService;
use crate::storage::Store;
use crate::trust::{SystemClock, TrustService, TrustSettings};

/// Opens storage (blocking: connects and migrates) and the signer connection (lazy).
pub fn open_backends(
    cfg: &Config,
    metrics: &Metrics,
) -> anyhow::Result<(Store, Arc<dyn CryptoService>)> {
    let store = Store::open(&cfg.storage)?.with_timings(metrics.db.clone());
    let signer: Arc<dyn CryptoService> = match &cfg.trust_service {
        TrustServiceConfig::Local => Arc::new(LocalSigner::new()),
        TrustServiceConfig::Remote(r) => Arc::new(RemoteSigner::new(r)?),
    };
    Ok((store, signer))
}

/// Builds everything a request needs from the config (blocking, see [`open_backends`]).
pub fn state_from_config(cfg: &Config) -> anyhow::Result<HttpState> {
    let mut metrics = Metrics::default();
    metrics.tls_cert_not_after = cfg.tls_cert_file.as_deref().and_then(pem_not_after);
    if let TrustServiceConfig::Remote(r) = &cfg.trust_service {
        metrics.signer_client_cert_not_after = r.tls_client_cert.as_deref().and_then(pem_not_after);
        metrics.signer_ca_not_after = r.tls_ca_file.as_deref().and_then(pem_not_after);
    }
    let (store, signer) = open_backends(cfg, &metrics)?;
    let metrics = Arc::new(metrics);
    let trust = TrustService::new(
        store,
        signer,
        Arc::new(SystemClock),
        TrustSettings {
            key_algorithm: cfg.key_algorithm.clone(),
            lifetimes: cfg.expiry,
        },
        metrics.clone(),
    );
    Ok(HttpState {
        trust,
        router: Router::new()?,
        guns: GunPolicy {
            max_len: cfg.limits.max_gun_len,
            prefixes: cfg.gun_prefixes.clone(),
        },
        cache: crate::http::response::CacheHeaders::new(&cfg.cache),
        limits: cfg.limits,
        publishes: tokio::sync::Semaphore::new(cfg.limits.max_concurrent_publishes),
        metrics,
    })
}

/// Loads the TLS certificate chain and key for the HTTPS listener (ring provider, explicit).
fn tls_config(cfg: &Config) -> anyhow::Result<Option<rustls::ServerConfig>> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let (Some(cert), Some(key)) = (&cfg.tls_cert_file, &cfg.tls_key_file) else {
        return Ok(None);
    };
    let certs = CertificateDer::pem_file_iter(cert)
        .map_err(|e| anyhow::anyhow!("{}: {e}", cert.display()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("{}: {e}", cert.display()))?;
    let key =
        PrivateKeyDer::from_pem_file(key).map_err(|e| anyhow::anyhow!("{}: {e}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Some(tls))
}

/// Builds the server on an already-bound listener (tests bind 127.0.0.1:0).
pub fn server(
    cfg: &Config,
    state: web::Data<HttpState>,
    listener: TcpListener,
) -> anyhow::Result<actix_web::dev::Server> {
    let tls = tls_config(cfg)?;
    let auth = crate::auth::Authenticate::from_config(cfg.auth.as_ref());
    let http = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .wrap(auth.clone())
            .default_service(web::to(crate::http::dispatch::dispatch))
    })
    .disable_signals();
    let http = match tls {
        Some(tls) => http.listen_rustls_0_23(listener, tls)?,
        None => http.listen(listener)?,
    };
    Ok(http.run())
}

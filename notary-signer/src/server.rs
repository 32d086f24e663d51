//! Assembles and runs the signer: store (with migrations), TLS listener, gRPC services and the
//! health reporter with its database probe.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use notary_proto::pb::key_management_server::KeyManagementServer;
use notary_proto::pb::signer_server::SignerServer;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;
use tokio_stream::wrappers::ReceiverStream;

use crate::config::Settings;
use crate::health;
use crate::keystore::KeyService;
use crate::passphrase::Passphrases;
use crate::service::SignerService;
use crate::storage::{Backend, Store};
use crate::tls;

/// Largest time a client may take to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Binds the Go-style listen address (`":7899"` means every interface).
pub async fn bind(addr: &str) -> std::io::Result<TcpListener> {
    match addr.strip_prefix(':') {
        Some(port) => match TcpListener::bind(format!("[::]:{port}")).await {
            Ok(l) => Ok(l),
            Err(_) => TcpListener::bind(format!("0.0.0.0:{port}")).await,
        },
        None => TcpListener::bind(addr).await,
    }
}

/// Opens the store of `settings` and applies the embedded migrations.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    let backend = settings.backend;
    let url = settings.db_url.clone();
    tokio::task::spawn_blocking(move || -> anyhow::Result<Store> {
        let store = Store::connect(backend, &url)
            .map_err(|e| anyhow::anyhow!("failed to create a new keydbstore: {e}"))?;
        store
            .migrate()
            .map_err(|e| anyhow::anyhow!("failed to migrate the key database: {e}"))?;
        Ok(store)
    })
    .await?
}

/// Runs the signer on `listener` until `shutdown` completes.
pub async fn serve(
    settings: Settings,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let tls_config = tls::server_config(
        &settings.tls_cert_file,
        &settings.tls_key_file,
        &settings.client_auth,
    )?;
    let store = open_store(&settings).await?;
    let (passphrases, alias) = match settings.backend {
        Backend::Memory => (Passphrases::random(), "memory".to_owned()),
        _ => (
            Passphrases::External {
                dir: settings.passphrase_dir.clone(),
            },
            settings.default_alias.clone().unwrap_or_default(),
        ),
    };
    let keys = KeyService::new(store.clone(), passphrases, alias);
    let service = SignerService::new(keys);

    let (reporter, health_service) = tonic_health::server::health_reporter();
    health::set_all(&reporter, tonic_health::ServingStatus::Serving).await;
    let probe = tokio::spawn(health::probe_loop(store, reporter));

    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<TlsStream<TcpStream>>>(64);
    let acceptor = TlsAcceptor::from(Arc::new(tls_config));
    let accept = tokio::spawn(async move {
        loop {
            let (tcp, peer) = match listener.accept().await {
                Ok(conn) => conn,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let _ = tcp.set_nodelay(true);
            let acceptor = acceptor.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                    Ok(Ok(stream)) => {
                        let _ = tx.send(Ok(stream)).await;
                    }
                    Ok(Err(e)) => tracing::info!(%peer, error = %e, "TLS handshake refused"),
                    Err(_) => tracing::info!(%peer, "TLS handshake timed out"),
                }
            });
        }
    });

    tracing::info!(version = env!("CARGO_PKG_VERSION"), "notary-signer serving");
    let result = tonic::transport::Server::builder()
        .add_service(health_service)
        .add_service(
            KeyManagementServer::new(service.clone())
                .max_decoding_message_size(notary_proto::MAX_MESSAGE_BYTES),
        )
        .add_service(
            SignerServer::new(service).max_decoding_message_size(notary_proto::MAX_MESSAGE_BYTES),
        )
        .serve_with_incoming_shutdown(ReceiverStream::new(rx), shutdown)
        .await;
    accept.abort();
    probe.abort();
    Ok(result?)
}

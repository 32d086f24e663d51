//! notary-signer over gRPC (spec-signer §4): TLS with the configured CA (exclusive root pool),
//! a client certificate for mTLS, ALPN h2, and a deadline on every call.

use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use notary_proto::pb;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use tonic::{Code, Status};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

use super::{CryptoService, KeyRequest, SignerError, SignerKey};

/// `trust_service` with `type: remote`.
#[derive(Debug, Clone)]
pub struct RemoteSignerConfig {
    /// The signer's host name; its certificate must name it.
    pub hostname: String,
    /// The signer's gRPC port.
    pub port: String,
    /// The CA that issued the signer's certificate.
    pub tls_ca_file: Option<PathBuf>,
    /// This server's client certificate chain for mutual TLS.
    pub tls_client_cert: Option<PathBuf>,
    /// The key of `tls_client_cert`.
    pub tls_client_key: Option<PathBuf>,
}

/// Deadline of every signer RPC.
const RPC_TIMEOUT: Duration = Duration::from_secs(10);
/// Deadline of establishing the connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// A lazily connected gRPC channel to notary-signer.
#[derive(Clone)]
pub struct RemoteSigner {
    channel: Channel,
}

/// Startup problems with the signer settings (files unreadable, bad URL).
#[derive(Debug, thiserror::Error)]
#[error("trust_service: {0}")]
pub struct RemoteConfigError(String);

impl RemoteSigner {
    /// Builds the channel; it connects on first use, so the server starts while the signer is down.
    pub fn new(cfg: &RemoteSignerConfig) -> Result<Self, RemoteConfigError> {
        let read = |p: &std::path::Path| {
            std::fs::read(p).map_err(|e| RemoteConfigError(format!("{}: {e}", p.display())))
        };
        let mut tls = ClientTlsConfig::new().domain_name(cfg.hostname.clone());
        // The system trust store is not consulted: a signer is always on a private PKI.
        let ca = cfg.tls_ca_file.as_ref().ok_or_else(|| {
            RemoteConfigError("tls_ca_file is required for a remote trust service".into())
        })?;
        tls = tls.ca_certificate(Certificate::from_pem(read(ca)?));
        if let (Some(cert), Some(key)) = (&cfg.tls_client_cert, &cfg.tls_client_key) {
            tls = tls.identity(Identity::from_pem(read(cert)?, read(key)?));
        }
        let host = if cfg.hostname.contains(':') {
            format!("[{}]", cfg.hostname)
        } else {
            cfg.hostname.clone()
        };
        let endpoint = Endpoint::from_shared(format!("https://{host}:{}", cfg.port))
            .map_err(|e| RemoteConfigError(e.to_string()))?
            .tls_config(tls)
            .map_err(|e| RemoteConfigError(e.to_string()))?
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(RPC_TIMEOUT);
        Ok(RemoteSigner {
            channel: endpoint.connect_lazy(),
        })
    }

    fn keys(&self) -> pb::key_management_client::KeyManagementClient<Channel> {
        pb::key_management_client::KeyManagementClient::new(self.channel.clone())
            .max_encoding_message_size(notary_proto::MAX_MESSAGE_BYTES)
            .max_decoding_message_size(notary_proto::MAX_MESSAGE_BYTES)
    }

    fn signer(&self) -> pb::signer_client::SignerClient<Channel> {
        pb::signer_client::SignerClient::new(self.channel.clone())
            .max_encoding_message_size(notary_proto::MAX_MESSAGE_BYTES)
            .max_decoding_message_size(notary_proto::MAX_MESSAGE_BYTES)
    }
}

fn status_err(s: Status) -> SignerError {
    match s.code() {
        Code::NotFound => SignerError::NotFound(s.message().to_string()),
        Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled => {
            SignerError::Unavailable(format!("{:?}: {}", s.code(), s.message()))
        }
        // Transport-level failures (TLS handshake, refused connection) surface as Unknown with
        // a source error attached.
        Code::Unknown if std::error::Error::source(&s).is_some() => {
            SignerError::Unavailable(s.to_string())
        }
        _ => SignerError::Rpc(format!("{:?}: {}", s.code(), s.message())),
    }
}

fn key_from(info: Option<pb::KeyInfo>, public: Vec<u8>) -> Result<SignerKey, SignerError> {
    let alg = info
        .and_then(|i| i.algorithm)
        .map(|a| a.algorithm)
        .ok_or_else(|| SignerError::Rpc("signer response without key algorithm".into()))?;
    Ok(SignerKey {
        keytype: alg,
        public,
    })
}

#[async_trait]
impl CryptoService for RemoteSigner {
    async fn create_key(&self, req: KeyRequest<'_>) -> Result<SignerKey, SignerError> {
        let (role, gun, algorithm) = (req.role, req.gun, req.algorithm);
        let resp = self
            .keys()
            .create_key(pb::CreateKeyRequest {
                algorithm: algorithm.to_string(),
                gun: gun.to_string(),
                role: role.to_string(),
            })
            .await
            .map_err(status_err)?
            .into_inner();
        key_from(resp.key_info, resp.public_key)
    }

    async fn public_key(&self, key_id: &str) -> Result<Option<SignerKey>, SignerError> {
        match self
            .keys()
            .get_key_info(pb::KeyId {
                id: key_id.to_string(),
            })
            .await
        {
            Ok(r) => {
                let r = r.into_inner();
                Ok(Some(key_from(r.key_info, r.public_key)?))
            }
            Err(s) => match status_err(s) {
                SignerError::NotFound(_) | SignerError::Rpc(_) => Ok(None),
                other => Err(other),
            },
        }
    }

    async fn sign(&self, key_id: &str, msg: &[u8]) -> Result<Vec<u8>, SignerError> {
        let resp = self
            .signer()
            .sign(pb::SignatureRequest {
                key_id: Some(pb::KeyId {
                    id: key_id.to_string(),
                }),
                content: msg.to_vec(),
            })
            .await
            .map_err(status_err)?
            .into_inner();
        Ok(resp.content)
    }

    async fn delete_key(&self, key_id: &str) -> Result<(), SignerError> {
        self.keys()
            .delete_key(pb::KeyId {
                id: key_id.to_string(),
            })
            .await
            .map_err(status_err)?;
        Ok(())
    }

    async fn check_health(&self) -> Result<(), String> {
        let mut client = HealthClient::new(self.channel.clone());
        for service in [
            notary_proto::health_names::KEY_MANAGEMENT,
            notary_proto::health_names::SIGNER,
        ] {
            let resp = client
                .check(HealthCheckRequest {
                    service: service.to_string(),
                })
                .await
                .map_err(|s| format!("rpc error: code = {:?} desc = {}", s.code(), s.message()))?;
            let status = resp.into_inner().status;
            if status != ServingStatus::Serving as i32 {
                return Err(format!("{service} is not serving (status {status})"));
            }
        }
        Ok(())
    }
}

//! TLS for the gRPC listener: rustls with ring, TLS 1.2 and 1.3, ALPN `h2`, and client
//! certificates required and verified against `server.client_ca_file`.
//!
//! Like Go, every certificate in `client_ca_file` is a trust anchor. A client chain is accepted
//! if it verifies up to one of them (webpki), or if the presented leaf *is* one of them
//! byte-for-byte and currently valid (a pinned leaf, as Go's sample configs use:
//! `client_ca_file` = notary-server's own certificate).

use std::path::Path;
use std::sync::Arc;

use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::WebPkiClientVerifier;
use rustls::{DistinguishedName, RootCertStore, ServerConfig};

/// Who may connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientAuth {
    /// Client certificates required, verified against this PEM file.
    Required(std::path::PathBuf),
    /// No client certificates (explicit opt-out `server.insecure_no_client_auth: true`).
    Disabled,
}

/// Why the TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file could not be read or holds nothing usable.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// What was wrong.
        reason: String,
    },
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
}

fn file_error(path: &Path, reason: impl ToString) -> TlsError {
    TlsError::File {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

/// Reads every certificate of a PEM file.
pub fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| file_error(path, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_error(path, e))?;
    if certs.is_empty() {
        return Err(file_error(path, "no certificate found"));
    }
    Ok(certs)
}

/// The rustls server configuration of the signer.
pub fn server_config(
    cert_file: &Path,
    key_file: &Path,
    client_auth: &ClientAuth,
) -> Result<ServerConfig, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain = read_certs(cert_file)?;
    let key = PrivateKeyDer::from_pem_file(key_file).map_err(|e| file_error(key_file, e))?;
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?;
    let builder = match client_auth {
        ClientAuth::Disabled => builder.with_no_client_auth(),
        ClientAuth::Required(ca_file) => {
            builder.with_client_cert_verifier(Arc::new(AnchorsOrPinned::new(ca_file, provider)?))
        }
    };
    let mut config = builder.with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(config)
}

/// Client verifier: webpki chain verification to any certificate of the file, or an exact
/// match with one of them.
#[derive(Debug)]
struct AnchorsOrPinned {
    webpki: Arc<dyn ClientCertVerifier>,
    pinned: Vec<CertificateDer<'static>>,
    hints: Vec<DistinguishedName>,
    /// Handshake signatures are checked with these (the provider's, as `webpki` does).
    algorithms: WebPkiSupportedAlgorithms,
}

impl AnchorsOrPinned {
    fn new(ca_file: &Path, provider: Arc<CryptoProvider>) -> Result<Self, TlsError> {
        let certs = read_certs(ca_file)?;
        let mut roots = RootCertStore::empty();
        let (added, _) = roots.add_parsable_certificates(certs.iter().cloned());
        if added == 0 {
            return Err(file_error(ca_file, "no usable certificate"));
        }
        let mut hints = Vec::new();
        for cert in &certs {
            let (_, parsed) =
                x509_parser::parse_x509_certificate(cert).map_err(|e| file_error(ca_file, e))?;
            push_unique(&mut hints, parsed.subject().as_raw());
            if !parsed.is_ca() {
                // A pinned leaf: the Go client only sends a certificate whose chain mentions
                // an advertised name, so advertise its issuer too.
                push_unique(&mut hints, parsed.issuer().as_raw());
            }
        }
        let algorithms = provider.signature_verification_algorithms;
        let webpki = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|e| file_error(ca_file, e))?;
        Ok(Self {
            webpki,
            pinned: certs,
            hints,
            algorithms,
        })
    }
}

fn push_unique(hints: &mut Vec<DistinguishedName>, raw: &[u8]) {
    if !hints.iter().any(|h| h.as_ref() == raw) {
        hints.push(DistinguishedName::from(raw.to_vec()));
    }
}

/// A pinned certificate is acceptable if it is within its validity period and, when it has an
/// extended key usage, allows client authentication.
fn pinned_is_usable(cert: &CertificateDer<'_>, now: UnixTime) -> bool {
    let Ok((_, parsed)) = x509_parser::parse_x509_certificate(cert) else {
        return false;
    };
    let Ok(secs) = i64::try_from(now.as_secs()) else {
        return false;
    };
    let Ok(now) = x509_parser::time::ASN1Time::from_timestamp(secs) else {
        return false;
    };
    if !parsed.validity().is_valid_at(now) {
        return false;
    }
    match parsed.extended_key_usage() {
        Ok(Some(eku)) => eku.value.client_auth || eku.value.any,
        Ok(None) => true,
        Err(_) => false,
    }
}

impl ClientCertVerifier for AnchorsOrPinned {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.hints
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if self
            .pinned
            .iter()
            .any(|c| c.as_ref() == end_entity.as_ref())
            && pinned_is_usable(end_entity, now)
        {
            return Ok(ClientCertVerified::assertion());
        }
        self.webpki
            .verify_client_cert(end_entity, intermediates, now)
    }

    // As webpki would: it was built with the same provider's algorithms.
    notary_db::handshake_signature_methods!(algorithms);
}

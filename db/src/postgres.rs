//! PostgreSQL connection settings: a libpq connection string (URL or `key=value` form) with
//! libpq's TLS parameters, opened with tokio-postgres over rustls (ring).
//!
//! | `sslmode` | TLS | server certificate |
//! |---|---|---|
//! | `disable` | never | – |
//! | `allow`, `prefer` (the default, as in libpq) | if the server offers it | not checked |
//! | `require` | always | not checked, unless `sslrootcert` is given (then as `verify-ca`, as libpq does) |
//! | `verify-ca` | always | chain to `sslrootcert` |
//! | `verify-full` | always | chain to `sslrootcert` and the host name |
//!
//! `sslcert` + `sslkey` (PEM files) present a client certificate. `sslrootcert` defaults to
//! `~/.postgresql/root.crt` when that file exists, as in libpq.

use std::path::PathBuf;
use std::sync::Arc;

use diesel::ConnectionError;
use diesel_async::AsyncPgConnection;
use rustls::client::danger::{ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, RootCertStore};
use tokio_postgres::config::SslMode;

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// `disable`.
    Disable,
    /// `allow` / `prefer`: TLS when offered.
    Prefer,
    /// `require`: TLS, certificate not checked.
    Require,
    /// `verify-ca`: TLS, chain checked, host name not.
    VerifyCa,
    /// `verify-full`: TLS, chain and host name checked.
    VerifyFull,
}

impl TlsMode {
    fn parse(s: &str) -> Result<Self, ConnectionError> {
        Ok(match s {
            "disable" => Self::Disable,
            "allow" | "prefer" => Self::Prefer,
            "require" => Self::Require,
            "verify-ca" => Self::VerifyCa,
            "verify-full" => Self::VerifyFull,
            other => {
                return Err(invalid(format!(
                    "sslmode={other} is not one of disable, allow, prefer, require, verify-ca, verify-full"
                )))
            }
        })
    }
}

/// A parsed PostgreSQL connection string.
#[derive(Debug, Clone)]
pub struct Settings {
    config: tokio_postgres::Config,
    mode: TlsMode,
    root_cert: Option<PathBuf>,
    client_cert: Option<(PathBuf, PathBuf)>,
}

const TLS_KEYS: [&str; 4] = ["sslmode", "sslrootcert", "sslcert", "sslkey"];

fn invalid(msg: String) -> ConnectionError {
    ConnectionError::InvalidConnectionUrl(msg)
}

impl Settings {
    /// Parses a libpq connection string; the TLS parameters are taken out and handled here,
    /// everything else is tokio-postgres's (host, port, user, password, dbname,
    /// connect_timeout, application_name, options, ...).
    pub fn parse(conn_str: &str) -> Result<Self, ConnectionError> {
        let (rest, tls) =
            if conn_str.starts_with("postgres://") || conn_str.starts_with("postgresql://") {
                split_url(conn_str)?
            } else {
                split_key_values(conn_str)?
            };
        let config: tokio_postgres::Config = rest.parse().map_err(|e| {
            invalid(format!(
                "invalid PostgreSQL connection string: {}",
                chain(&e)
            ))
        })?;
        let get = |k: &str| {
            tls.iter()
                .rev()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        let mode = match get("sslmode") {
            Some(m) => TlsMode::parse(&m)?,
            None => TlsMode::Prefer,
        };
        let root_cert = get("sslrootcert").map(PathBuf::from).or_else(|| {
            let default = PathBuf::from(std::env::var_os("HOME")?).join(".postgresql/root.crt");
            default.is_file().then_some(default)
        });
        if root_cert.is_none() && matches!(mode, TlsMode::VerifyCa | TlsMode::VerifyFull) {
            return Err(invalid(
                "sslmode=verify-ca and verify-full need sslrootcert=<CA certificate file>".into(),
            ));
        }
        let client_cert = match (get("sslcert"), get("sslkey")) {
            (Some(c), Some(k)) => Some((PathBuf::from(c), PathBuf::from(k))),
            (None, None) => None,
            _ => return Err(invalid("sslcert and sslkey must be given together".into())),
        };
        Ok(Self {
            config,
            mode,
            root_cert,
            client_cert,
        })
    }

    /// The effective `sslmode` (`require` with a root certificate counts as `verify-ca`).
    pub fn mode(&self) -> TlsMode {
        match self.mode {
            TlsMode::Require if self.root_cert.is_some() => TlsMode::VerifyCa,
            m => m,
        }
    }

    /// Connects; the connection's socket task runs on the shared database runtime, so this
    /// must be awaited inside it.
    pub async fn connect(&self) -> Result<AsyncPgConnection, ConnectionError> {
        let mode = self.mode();
        let tls = match mode {
            TlsMode::Disable => None,
            m => Some(tokio_postgres_rustls::MakeRustlsConnect::new(
                self.tls_config(m)?,
            )),
        };
        let mut config = self.config.clone();
        let Some(tls) = tls else {
            config.ssl_mode(SslMode::Disable);
            let (client, conn) = config
                .connect(tokio_postgres::NoTls)
                .await
                .map_err(|e| ConnectionError::BadConnection(chain(&e)))?;
            return AsyncPgConnection::try_from_client_and_connection(client, conn).await;
        };
        config.ssl_mode(if mode == TlsMode::Prefer {
            SslMode::Prefer
        } else {
            SslMode::Require
        });
        let (client, conn) = config
            .connect(tls)
            .await
            .map_err(|e| ConnectionError::BadConnection(chain(&e)))?;
        AsyncPgConnection::try_from_client_and_connection(client, conn).await
    }

    fn tls_config(&self, mode: TlsMode) -> Result<ClientConfig, ConnectionError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| ConnectionError::BadConnection(chain(&e)))?;
        let chain = match (&self.root_cert, mode) {
            (Some(path), m) if m != TlsMode::Prefer => {
                let mut roots = RootCertStore::empty();
                for cert in read_certs(path)? {
                    roots
                        .add(cert)
                        .map_err(|e| invalid(format!("sslrootcert {}: {e}", path.display())))?;
                }
                let webpki =
                    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                        .build()
                        .map_err(|e| invalid(format!("sslrootcert {}: {e}", path.display())))?;
                Some(webpki)
            }
            _ => None,
        };
        let verifier = Arc::new(ServerCheck {
            chain,
            check_name: mode == TlsMode::VerifyFull,
            algorithms: provider.signature_verification_algorithms,
        });
        let builder = builder
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        match &self.client_cert {
            Some((cert, key)) => {
                let certs = read_certs(cert)?;
                let key = PrivateKeyDer::from_pem_file(key)
                    .map_err(|e| invalid(format!("sslkey {}: {e}", key.display())))?;
                builder
                    .with_client_auth_cert(certs, key)
                    .map_err(|e| invalid(format!("sslcert/sslkey: {e}")))
            }
            None => Ok(builder.with_no_client_auth()),
        }
    }
}

/// An error with its sources, `a: b: c` (tokio-postgres keeps the detail in the source).
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}

fn read_certs(path: &PathBuf) -> Result<Vec<CertificateDer<'static>>, ConnectionError> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| invalid(format!("{}: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(invalid(format!("{}: no certificate in it", path.display())));
    }
    Ok(certs)
}

/// Splits a `postgres://` URL into the URL without the TLS parameters and those parameters.
fn split_url(s: &str) -> Result<(String, Vec<(String, String)>), ConnectionError> {
    let mut url =
        url::Url::parse(s).map_err(|e| invalid(format!("invalid PostgreSQL URL: {e}")))?;
    let (tls, rest): (Vec<_>, Vec<_>) = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .partition(|(k, _)| TLS_KEYS.contains(&k.as_str()));
    if rest.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(rest);
    }
    Ok((url.to_string(), tls))
}

/// Splits a libpq `key=value ...` string (values may be single-quoted, with `\` escapes).
fn split_key_values(s: &str) -> Result<(String, Vec<(String, String)>), ConnectionError> {
    let mut rest = String::new();
    let mut tls = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            return Err(invalid(format!(
                "invalid PostgreSQL connection string: `{key}` has no value"
            )));
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    Some('\'') => break,
                    Some('\\') => value.extend(chars.next()),
                    Some(c) => value.push(c),
                    None => {
                        return Err(invalid(
                            "invalid PostgreSQL connection string: unterminated quote".into(),
                        ))
                    }
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    value.extend(chars.next());
                } else {
                    value.push(c);
                }
            }
        }
        if TLS_KEYS.contains(&key.as_str()) {
            tls.push((key, value));
        } else {
            let quoted = value.replace('\\', "\\\\").replace('\'', "\\'");
            rest.push_str(&format!("{key}='{quoted}' "));
        }
    }
    Ok((rest, tls))
}

/// How the server's certificate is checked: `verify-ca` / `verify-full` (`chain` set) need a
/// chain to `sslrootcert`, and only `verify-full` checks the host name; `prefer` / `require`
/// without a root certificate (`chain` unset) encrypt without authenticating the server, as
/// libpq does. The handshake signatures are verified in every mode.
#[derive(Debug)]
struct ServerCheck {
    chain: Option<Arc<WebPkiServerVerifier>>,
    check_name: bool,
    /// The provider's algorithms, for the handshake signatures.
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for ServerCheck {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.check_name => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    crate::handshake_signature_methods!(algorithms);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_tls_parameters_are_taken_out() {
        let s = Settings::parse(
            "postgres://u:p%40w@db:5433/notary?sslmode=verify-full&sslrootcert=/ca.crt&application_name=x",
        )
        .unwrap();
        assert_eq!(s.mode(), TlsMode::VerifyFull);
        assert_eq!(s.root_cert, Some(PathBuf::from("/ca.crt")));
        assert_eq!(s.config.get_dbname(), Some("notary"));
        assert_eq!(s.config.get_user(), Some("u"));
        assert_eq!(s.config.get_password(), Some(&b"p@w"[..]));
        assert_eq!(s.config.get_ports(), &[5433]);
        assert_eq!(s.config.get_application_name(), Some("x"));
    }

    #[test]
    fn key_value_strings_with_quotes() {
        let s = Settings::parse(
            "host=127.0.0.1 port=5432 user=postgres password='a b\\'c' dbname=x sslmode=disable",
        )
        .unwrap();
        assert_eq!(s.mode(), TlsMode::Disable);
        assert_eq!(s.config.get_password(), Some(&b"a b'c"[..]));
        assert_eq!(s.config.get_dbname(), Some("x"));
    }

    #[test]
    fn default_is_prefer_and_require_with_root_is_verify_ca() {
        let s = Settings::parse("postgres://db/x").unwrap();
        assert!(matches!(s.mode(), TlsMode::Prefer | TlsMode::VerifyCa));
        let s = Settings::parse("postgres://db/x?sslmode=require&sslrootcert=/ca.crt").unwrap();
        assert_eq!(s.mode(), TlsMode::VerifyCa);
    }

    #[test]
    fn bad_settings_are_clear_errors() {
        for (s, want) in [
            ("postgres://db/x?sslmode=bogus", "sslmode=bogus"),
            ("postgres://db/x?sslcert=/c.pem", "together"),
            ("host=db dbname", "has no value"),
            ("host='db", "unterminated"),
            ("postgres://db/x?nosuchoption=1", "nosuchoption"),
        ] {
            match Settings::parse(s) {
                Err(ConnectionError::InvalidConnectionUrl(m)) => {
                    assert!(m.contains(want), "{s}: {m}")
                }
                other => panic!("{s}: {other:?}"),
            }
        }
    }
}

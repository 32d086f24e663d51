//! The signer configuration: Go's `signer-config.json` keys, environment overrides
//! `NOTARY_SIGNER_<KEY>` (env wins over the file, empty values are ignored), paths relative to
//! the config file's directory (spec-signer §5).
//!
//! Keys read (case-insensitive):
//!
//! | key | meaning |
//! |---|---|
//! | `server.grpc_addr` | listen address (`":7899"` = all interfaces), required |
//! | `server.tls_cert_file`, `server.tls_key_file` | PEM chain (leaf first) and key, required |
//! | `server.client_ca_file` | CA certificates or pinned client certificate(s); mTLS required |
//! | `server.insecure_no_client_auth` | `true` to run without client certificates (opt-out) |
//! | `storage.backend` | `sqlite3` (also `sqlite`), `postgres`, `mysql`, `memory` |
//! | `storage.db_url` | SQLite path (relative to the config file), libpq URL, MySQL URL or Go DSN |
//! | `storage.default_alias` | alias for new keys (fallback: top-level `default_alias`) |
//! | `storage.passphrase_dir` | optional directory with one passphrase file per alias |
//! | `logging.level` | logrus level name (`error` default) |

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::storage::Backend;
use crate::tls::ClientAuth;

/// Environment prefix of every override.
pub const ENV_PREFIX: &str = "NOTARY_SIGNER_";

/// A configuration problem, reported at startup.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("could not read config at {path}: {reason}")]
    Read {
        /// Config path.
        path: String,
        /// OS error.
        reason: String,
    },
    /// The file is not JSON.
    #[error("could not parse config at {path}: {reason}")]
    Parse {
        /// Config path.
        path: String,
        /// Parser error.
        reason: String,
    },
    /// A required key is missing or a value is invalid.
    #[error("{0}")]
    Invalid(String),
}

/// Parsed configuration. `Debug` hides the database password.
#[derive(Clone)]
pub struct Settings {
    /// Listen address.
    pub grpc_addr: String,
    /// PEM certificate chain of the signer.
    pub tls_cert_file: PathBuf,
    /// PEM private key of the signer.
    pub tls_key_file: PathBuf,
    /// Client certificate policy.
    pub client_auth: ClientAuth,
    /// Storage backend.
    pub backend: Backend,
    /// Database URL in the form diesel expects (converted from Go's forms).
    pub db_url: String,
    /// Alias whose passphrase encrypts new keys (`None` only for `memory`).
    pub default_alias: Option<String>,
    /// Optional directory of passphrase files.
    pub passphrase_dir: Option<PathBuf>,
    /// Log level.
    pub log_level: tracing::Level,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("grpc_addr", &self.grpc_addr)
            .field("tls_cert_file", &self.tls_cert_file)
            .field("tls_key_file", &self.tls_key_file)
            .field("client_auth", &self.client_auth)
            .field("backend", &self.backend)
            .field("db_url", &notary_db::redact_db_url(&self.db_url))
            .field("default_alias", &self.default_alias)
            .field("passphrase_dir", &self.passphrase_dir)
            .field("log_level", &self.log_level)
            .finish()
    }
}

struct Source<'a> {
    file: Value,
    env: &'a dyn Fn(&str) -> Option<String>,
}

/// The environment variable that overrides `key` (also the passphrase variable of an alias):
/// `NOTARY_SIGNER_` + the key upper-cased with `.` replaced by `_`.
pub fn env_name(key: &str) -> String {
    format!("{ENV_PREFIX}{}", key.to_uppercase().replace('.', "_"))
}

impl Source<'_> {
    /// Env override first (non-empty), then the file value rendered as a string.
    fn get(&self, key: &str) -> Option<String> {
        if let Some(v) = (self.env)(&env_name(key)).filter(|v| !v.is_empty()) {
            return Some(v);
        }
        // Viper matches keys case-insensitively: of the members whose lower-cased name is
        // `part`, the last in key order wins (as if the whole tree had been lower-cased).
        let node = key.split('.').try_fold(&self.file, |node, part| {
            node.as_object()?
                .iter()
                .rev()
                .find(|(k, _)| k.to_lowercase() == part)
                .map(|(_, v)| v)
        })?;
        match node {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
}

impl Settings {
    /// Loads `path` with overrides from the process environment.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        Self::load_with_env(path, &|k| std::env::var(k).ok())
    }

    /// Loads `path` with overrides from `env`.
    pub fn load_with_env(
        path: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        let base = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        Self::from_json(&text, &base, env).map_err(|e| match e {
            ConfigError::Parse { reason, .. } => ConfigError::Parse {
                path: path.display().to_string(),
                reason,
            },
            other => other,
        })
    }

    /// Parses JSON config text; relative paths are resolved against `base` (`base.join`, which
    /// keeps an absolute path as it is).
    pub fn from_json(
        text: &str,
        base: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let file: Value = serde_json::from_str(text).map_err(|e| ConfigError::Parse {
            path: String::new(),
            reason: e.to_string(),
        })?;
        let src = Source { file, env };
        let invalid = |s: String| ConfigError::Invalid(s);

        let grpc_addr = src
            .get("server.grpc_addr")
            .ok_or_else(|| invalid("grpc listen address required for server".into()))?;
        let (tls_cert_file, tls_key_file) = match (
            src.get("server.tls_cert_file"),
            src.get("server.tls_key_file"),
        ) {
            (Some(c), Some(k)) => (base.join(c), base.join(k)),
            _ => {
                return Err(invalid(
                    "server.tls_cert_file and server.tls_key_file are required: \
                         notary-signer only serves gRPC over TLS"
                        .into(),
                ))
            }
        };
        let insecure = match src.get("server.insecure_no_client_auth").as_deref() {
            None => false,
            Some(v) => parse_bool(v).ok_or_else(|| {
                invalid(format!(
                    "server.insecure_no_client_auth must be true or false, got {v:?}"
                ))
            })?,
        };
        let client_auth = match src.get("server.client_ca_file") {
            Some(ca) => ClientAuth::Required(base.join(ca)),
            None if insecure => ClientAuth::Disabled,
            None => {
                return Err(invalid(
                    "server.client_ca_file is not set: notary-signer requires mutual TLS by \
                     default. Set server.client_ca_file to the CA certificate(s) (or the pinned \
                     client certificate) of notary-server's client certificate, or set \
                     \"server\": {\"insecure_no_client_auth\": true} (env \
                     NOTARY_SIGNER_SERVER_INSECURE_NO_CLIENT_AUTH=true) to accept clients \
                     without certificates"
                        .into(),
                ))
            }
        };

        let backend_name = src.get("storage.backend").ok_or_else(|| {
            invalid("storage.backend is required: one of sqlite3, postgres, mysql, memory".into())
        })?;
        let backend = Backend::parse(&backend_name.to_lowercase()).ok_or_else(|| {
            invalid(format!(
                "{backend_name} is not an allowed backend, must be one of: \
                 [sqlite3 postgres mysql memory]"
            ))
        })?;
        let db_url = match backend {
            Backend::Memory => String::new(),
            _ => {
                let raw = src.get("storage.db_url").ok_or_else(|| {
                    invalid(format!(
                        "must provide a non-empty database source for {backend_name}"
                    ))
                })?;
                match backend {
                    Backend::Sqlite => base.join(raw).display().to_string(),
                    Backend::Mysql => notary_db::mysql::url_from_go_dsn(&raw)
                        .map_err(|e| invalid(format!("storage.db_url: {e}")))?,
                    _ => raw,
                }
            }
        };
        let default_alias = src
            .get("storage.default_alias")
            .or_else(|| src.get("default_alias"));
        if default_alias.is_none() && backend != Backend::Memory {
            return Err(invalid(
                "must provide a default alias for the key DB (storage.default_alias or \
                 NOTARY_SIGNER_DEFAULT_ALIAS)"
                    .into(),
            ));
        }
        let passphrase_dir = src.get("storage.passphrase_dir").map(|d| base.join(d));
        let log_level = match src.get("logging.level") {
            None => tracing::Level::ERROR,
            Some(l) => parse_level(&l)
                .ok_or_else(|| invalid(format!("not a valid logrus Level: {l:?}")))?,
        };
        Ok(Self {
            grpc_addr,
            tls_cert_file,
            tls_key_file,
            client_auth,
            backend,
            db_url,
            default_alias,
            passphrase_dir,
            log_level,
        })
    }
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.to_lowercase().as_str() {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => None,
    }
}

/// logrus level names → tracing levels (panic/fatal have no tracing equivalent: error).
pub fn parse_level(s: &str) -> Option<tracing::Level> {
    Some(match s.to_lowercase().as_str() {
        "panic" | "fatal" | "error" => tracing::Level::ERROR,
        "warn" | "warning" => tracing::Level::WARN,
        "info" => tracing::Level::INFO,
        "debug" => tracing::Level::DEBUG,
        "trace" => tracing::Level::TRACE,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GO_SAMPLE: &str = r#"{
        "server": {"grpc_addr": ":7899", "tls_cert_file": "./notary-signer.crt",
                   "tls_key_file": "./notary-signer.key", "client_ca_file": "./notary-server.crt"},
        "logging": {"level": "debug"},
        "storage": {"backend": "mysql", "db_url": "signer@tcp(mysql:3306)/notarysigner?parseTime=True",
                    "default_alias": "timestamp_1"}
    }"#;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn go_sample_config_parses() {
        let s = Settings::from_json(GO_SAMPLE, Path::new("/etc/notary"), &no_env).unwrap();
        assert_eq!(s.grpc_addr, ":7899");
        assert_eq!(
            s.tls_cert_file,
            Path::new("/etc/notary/./notary-signer.crt")
        );
        assert_eq!(
            s.client_auth,
            ClientAuth::Required("/etc/notary/./notary-server.crt".into())
        );
        assert_eq!(s.backend, Backend::Mysql);
        assert_eq!(s.db_url, "mysql://signer@mysql:3306/notarysigner");
        assert_eq!(s.default_alias.as_deref(), Some("timestamp_1"));
        assert_eq!(s.log_level, tracing::Level::DEBUG);
    }

    #[test]
    fn debug_output_hides_the_database_password() {
        let env = |k: &str| {
            (k == "NOTARY_SIGNER_STORAGE_DB_URL")
                .then(|| "signer:my-s3cret@tcp(mysql:3306)/notarysigner?parseTime=True".to_owned())
        };
        let s = Settings::from_json(GO_SAMPLE, Path::new("/c"), &env).unwrap();
        assert!(s.db_url.contains("my-s3cret"));
        let shown = format!("{s:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("signer:***@"), "{shown}");
    }

    #[test]
    fn env_overrides_file_and_empty_env_is_ignored() {
        let env = |k: &str| match k {
            "NOTARY_SIGNER_STORAGE_BACKEND" => Some("postgres".to_owned()),
            "NOTARY_SIGNER_STORAGE_DB_URL" => Some("postgres://x@h/db".to_owned()),
            "NOTARY_SIGNER_SERVER_GRPC_ADDR" => Some(String::new()),
            "NOTARY_SIGNER_LOGGING_LEVEL" => Some("WARNING".to_owned()),
            _ => None,
        };
        let s = Settings::from_json(GO_SAMPLE, Path::new("/c"), &env).unwrap();
        assert_eq!(s.backend, Backend::Postgres);
        assert_eq!(s.db_url, "postgres://x@h/db");
        assert_eq!(s.grpc_addr, ":7899");
        assert_eq!(s.log_level, tracing::Level::WARN);
    }

    #[test]
    fn default_alias_fallbacks_and_errors() {
        let cfg = r#"{"server":{"grpc_addr":":1","tls_cert_file":"c","tls_key_file":"k",
            "client_ca_file":"ca"},"storage":{"backend":"sqlite3","db_url":"keys.db"}}"#;
        let err = Settings::from_json(cfg, Path::new("/c"), &no_env).unwrap_err();
        assert!(err.to_string().contains("default alias"), "{err}");
        let env = |k: &str| (k == "NOTARY_SIGNER_DEFAULT_ALIAS").then(|| "a1".to_owned());
        let s = Settings::from_json(cfg, Path::new("/c"), &env).unwrap();
        assert_eq!(s.default_alias.as_deref(), Some("a1"));
        assert_eq!(s.db_url, "/c/keys.db");
    }

    #[test]
    fn missing_client_ca_requires_explicit_opt_out() {
        let cfg = r#"{"server":{"grpc_addr":":1","tls_cert_file":"c","tls_key_file":"k"},
            "storage":{"backend":"memory"}}"#;
        let err = Settings::from_json(cfg, Path::new("/c"), &no_env).unwrap_err();
        assert!(err.to_string().contains("insecure_no_client_auth"), "{err}");
        let cfg = cfg.replace(r#""k"}"#, r#""k","insecure_no_client_auth":true}"#);
        let s = Settings::from_json(&cfg, Path::new("/c"), &no_env).unwrap();
        assert_eq!(s.client_auth, ClientAuth::Disabled);
    }

    #[test]
    fn bad_values_are_rejected() {
        let base = r#"{"server":{"grpc_addr":":1","tls_cert_file":"c","tls_key_file":"k",
            "insecure_no_client_auth":true},"storage":{"backend":"BACKEND"},
            "logging":{"level":"LEVEL"}}"#;
        let cfg = base
            .replace("BACKEND", "rethinkdb")
            .replace("LEVEL", "info");
        assert!(Settings::from_json(&cfg, Path::new("/"), &no_env).is_err());
        let cfg = base.replace("BACKEND", "memory").replace("LEVEL", "2");
        let err = Settings::from_json(&cfg, Path::new("/"), &no_env).unwrap_err();
        assert!(err.to_string().contains("not a valid logrus Level"));
        assert!(Settings::from_json("{", Path::new("/"), &no_env).is_err());
    }

    #[test]
    fn keys_match_case_insensitively_and_absolute_paths_stay() {
        // "Server" and "server" both lower-case to `server`: the last in key order ("server")
        // wins as a whole, as with viper.
        let cfg = r#"{"Server":{"grpc_addr":":1"},
            "server":{"GRPC_Addr":":2","TLS_cert_file":"/abs/c","tls_key_file":"k",
            "Insecure_No_Client_Auth":"TRUE"},"STORAGE":{"Backend":"memory"}}"#;
        let s = Settings::from_json(cfg, Path::new("/c"), &no_env).unwrap();
        assert_eq!(s.grpc_addr, ":2");
        assert_eq!(s.tls_cert_file, Path::new("/abs/c"));
        assert_eq!(s.tls_key_file, Path::new("/c/k"));
        assert_eq!(s.client_auth, ClientAuth::Disabled);
        assert_eq!(s.backend, Backend::Memory);
    }
}

//! The Go `server-config.json` format (spec-server §9): keys are case-insensitive, relative paths
//! are resolved against the config file's directory, and `NOTARY_SERVER_<KEY_PATH>` environment
//! variables override scalar keys.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

pub use crate::http::{CacheConfig, Limits};
pub use crate::signer::remote::RemoteSignerConfig;
pub use crate::storage::StorageConfig;

/// A configuration problem found at startup.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("could not read config at {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid JSON: {source}")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{0}")]
    Invalid(String),
}

fn invalid(msg: impl Into<String>) -> ConfigError {
    ConfigError::Invalid(msg.into())
}

/// How the server reaches its signing keys.
#[derive(Debug, Clone)]
pub enum TrustServiceConfig {
    /// Keys held in this process, in memory (tests, quickstart). Lost at restart.
    Local,
    /// notary-signer over gRPC (mTLS when a client certificate is configured).
    Remote(RemoteSignerConfig),
}

/// The whole server configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub http_addr: SocketAddr,
    pub tls_cert_file: Option<PathBuf>,
    pub tls_key_file: Option<PathBuf>,
    pub trust_service: TrustServiceConfig,
    pub key_algorithm: String,
    pub storage: StorageConfig,
    pub log_level: String,
    pub cache: CacheConfig,
    pub gun_prefixes: Vec<String>,
    pub limits: Limits,
    pub expiry: Expiry,
    /// `auth` with `type: token` (spec-server §8); `None` = no authentication, as in Go.
    pub auth: Option<crate::auth::AuthConfig>,
}

/// Lifetimes of server-generated metadata (spec-server §10.8). Our own keys
/// `server.timestamp_expiry_seconds` / `server.snapshot_expiry_seconds` (not in Go) override the
/// Go defaults; the tests use short values to exercise re-signing on read.
pub type Expiry = notary_tuf::validation::Lifetimes;

/// Scalar keys that `NOTARY_SERVER_*` may override.
const ENV_KEYS: &[&str] = &[
    "server.http_addr",
    "server.tls_cert_file",
    "server.tls_key_file",
    "server.client_ca_file",
    "server.max_body_bytes",
    "server.max_concurrent_publishes",
    "server.publish_queue_timeout_seconds",
    "server.timestamp_expiry_seconds",
    "server.snapshot_expiry_seconds",
    "trust_service.type",
    "trust_service.hostname",
    "trust_service.port",
    "trust_service.tls_ca_file",
    "trust_service.tls_client_cert",
    "trust_service.tls_client_key",
    "trust_service.key_algorithm",
    "storage.backend",
    "storage.db_url",
    "logging.level",
    "caching.max_age.current_metadata",
    "caching.max_age.consistent_metadata",
    "auth.type",
];

impl Config {
    /// Reads `path`, applies environment overrides from the process environment.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let value: Value = serde_json::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.to_path_buf(),
            source,
        })?;
        let base = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        Config::from_value(value, &base, |k| std::env::var(k).ok())
    }

    /// Builds a config from parsed JSON; `env` looks up environment variables.
    pub fn from_value(
        value: Value,
        base_dir: &Path,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let mut root = lower_keys(value);
        if !root.is_object() {
            return Err(invalid("configuration must be a JSON object"));
        }
        for key in ENV_KEYS {
            let var = format!("NOTARY_SERVER_{}", key.replace('.', "_").to_uppercase());
            if let Some(v) = env(&var) {
                set_path(&mut root, key, Value::String(v));
            }
        }
        let cfg = Reader {
            root: &root,
            base: base_dir,
        };

        let http_addr = cfg
            .string("server.http_addr")?
            .ok_or_else(|| invalid("server.http_addr is required"))?;
        let http_addr = parse_listen_addr(&http_addr)?;
        let tls_cert_file = cfg.path("server.tls_cert_file")?;
        let tls_key_file = cfg.path("server.tls_key_file")?;
        if tls_cert_file.is_some() != tls_key_file.is_some() {
            return Err(invalid(
                "server.tls_cert_file and server.tls_key_file must be given together",
            ));
        }
        if cfg.string("server.client_ca_file")?.is_some() {
            return Err(invalid(
                "server.client_ca_file (client certificates for HTTP clients) is not supported",
            ));
        }
        let auth =
            crate::auth::config::parse(get_path(&root, "auth"), base_dir).map_err(invalid)?;

        let ts_type = cfg
            .string("trust_service.type")?
            .ok_or_else(|| invalid("trust_service.type is required (remote or local)"))?;
        let (trust_service, key_algorithm) = match ts_type.as_str() {
            "local" => (TrustServiceConfig::Local, "ecdsa".to_string()),
            "remote" => {
                let hostname = cfg
                    .string("trust_service.hostname")?
                    .ok_or_else(|| invalid("trust_service.hostname is required for remote"))?;
                let port = cfg
                    .string("trust_service.port")?
                    .ok_or_else(|| invalid("trust_service.port is required for remote"))?;
                let alg = cfg
                    .string("trust_service.key_algorithm")?
                    .ok_or_else(|| invalid("trust_service.key_algorithm is required"))?;
                if !matches!(alg.as_str(), "ecdsa" | "rsa" | "ed25519") {
                    return Err(invalid(format!("invalid key algorithm configured: {alg}")));
                }
                let tls_client_cert = cfg.path("trust_service.tls_client_cert")?;
                let tls_client_key = cfg.path("trust_service.tls_client_key")?;
                if tls_client_cert.is_some() != tls_client_key.is_some() {
                    return Err(invalid(
                        "trust_service.tls_client_cert and tls_client_key must be given together",
                    ));
                }
                (
                    TrustServiceConfig::Remote(RemoteSignerConfig {
                        hostname,
                        port,
                        tls_ca_file: cfg.path("trust_service.tls_ca_file")?,
                        tls_client_cert,
                        tls_client_key,
                    }),
                    alg,
                )
            }
            other => {
                return Err(invalid(format!(
                    "must specify either a \"local\" or \"remote\" type for trust_service, got {other:?}"
                )))
            }
        };

        let backend = cfg
            .string("storage.backend")?
            .ok_or_else(|| invalid("storage.backend is required"))?;
        let db_url = cfg.string("storage.db_url")?;
        let need_url = |name: &str| {
            db_url
                .clone()
                .filter(|u| !u.is_empty())
                .ok_or_else(|| invalid(format!("storage.db_url is required for {name}")))
        };
        let storage = match backend.as_str() {
            "memory" => StorageConfig::Memory,
            "sqlite3" | "sqlite" => {
                let url = need_url("sqlite3")?;
                if url == ":memory:" {
                    StorageConfig::Sqlite(url)
                } else {
                    let p = url.strip_prefix("file:").unwrap_or(&url);
                    StorageConfig::Sqlite(resolve(base_dir, p).to_string_lossy().into_owned())
                }
            }
            "postgres" => StorageConfig::Postgres(need_url("postgres")?),
            "mysql" => StorageConfig::Mysql(
                notary_db::mysql::url_from_go_dsn(&need_url("mysql")?)
                    .map_err(|e| invalid(format!("storage.db_url: {e}")))?,
            ),
            other => {
                return Err(invalid(format!(
                    "{other} is not a supported storage backend (sqlite3, postgres, mysql, memory)"
                )))
            }
        };

        let log_level = cfg
            .string("logging.level")?
            .unwrap_or_else(|| "error".into());
        tracing_level(&log_level)?;

        let mut cache = CacheConfig::default();
        if let Some(v) = cfg.uint("caching.max_age.current_metadata")? {
            cache.current_metadata = check_max_age("current_metadata", v)?;
        }
        if let Some(v) = cfg.uint("caching.max_age.consistent_metadata")? {
            cache.consistent_metadata = check_max_age("consistent_metadata", v)?;
        }

        let gun_prefixes = gun_prefixes(get_path(&root, "repositories.gun_prefixes"))?;

        let mut limits = Limits::default();
        if let Some(v) = cfg.uint("server.max_body_bytes")? {
            limits.max_body_bytes = usize::try_from(v).unwrap_or(usize::MAX);
        }
        if let Some(v) = cfg.uint("server.max_concurrent_publishes")? {
            if v == 0 {
                return Err(invalid(
                    "server.max_concurrent_publishes must be at least 1",
                ));
            }
            limits.max_concurrent_publishes = usize::try_from(v).unwrap_or(usize::MAX);
        }
        if let Some(v) = cfg.uint("server.publish_queue_timeout_seconds")? {
            limits.publish_queue_timeout = std::time::Duration::from_secs(v);
        }

        let mut expiry = Expiry::default();
        if let Some(v) = cfg.uint("server.timestamp_expiry_seconds")? {
            expiry.timestamp = chrono::Duration::seconds(v.clamp(1, 315_360_000) as i64);
        }
        if let Some(v) = cfg.uint("server.snapshot_expiry_seconds")? {
            expiry.snapshot = chrono::Duration::seconds(v.clamp(1, 315_360_000) as i64);
        }

        Ok(Config {
            http_addr,
            tls_cert_file,
            tls_key_file,
            trust_service,
            key_algorithm,
            storage,
            log_level,
            cache,
            gun_prefixes,
            limits,
            expiry,
            auth,
        })
    }
}

/// Maps a Go/logrus level name to a tracing filter directive.
pub fn tracing_level(level: &str) -> Result<&'static str, ConfigError> {
    Ok(match level.to_ascii_lowercase().as_str() {
        "debug" => "debug",
        "info" => "info",
        "warn" | "warning" => "warn",
        "error" | "fatal" | "panic" => "error",
        other => return Err(invalid(format!("invalid logging.level {other:?}"))),
    })
}

fn check_max_age(name: &str, v: u64) -> Result<u32, ConfigError> {
    if v > 31_536_000 {
        return Err(invalid(format!(
            "caching.max_age.{name} must be between 0 and 31536000 seconds, got {v}"
        )));
    }
    Ok(v as u32)
}

fn gun_prefixes(v: Option<&Value>) -> Result<Vec<String>, ConfigError> {
    let Some(v) = v else { return Ok(Vec::new()) };
    let Value::Array(items) = v else {
        return Err(invalid(
            "repositories.gun_prefixes must be a list of strings",
        ));
    };
    let mut out = Vec::new();
    for item in items {
        let Value::String(p) = item else {
            return Err(invalid(
                "repositories.gun_prefixes must be a list of strings",
            ));
        };
        let clean = p.trim() == p
            && !p.is_empty()
            && p.ends_with('/')
            && !p.starts_with('/')
            && !p.starts_with("..")
            && !p.contains("//")
            && !p.split('/').any(|s| s == "." || s == "..");
        if !clean {
            return Err(invalid(format!("invalid GUN prefix {p:?}")));
        }
        out.push(p.clone());
    }
    Ok(out)
}

/// `":4443"` → `0.0.0.0:4443`; `"localhost:4443"` → `127.0.0.1:4443`.
fn parse_listen_addr(s: &str) -> Result<SocketAddr, ConfigError> {
    let s = s.trim();
    let full = if s.starts_with(':') {
        format!("0.0.0.0{s}")
    } else if let Some(rest) = s.strip_prefix("localhost:") {
        format!("127.0.0.1:{rest}")
    } else {
        s.to_string()
    };
    full.parse()
        .map_err(|_| invalid(format!("server.http_addr {s:?} is not a host:port address")))
}

fn resolve(base: &Path, p: &str) -> PathBuf {
    let p = Path::new(p);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

/// Viper matches keys case-insensitively: lower-case every object key.
fn lower_keys(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (k.to_lowercase(), lower_keys(v)))
                .collect(),
        ),
        other => other,
    }
}

fn get_path<'a>(root: &'a Value, key: &str) -> Option<&'a Value> {
    key.split('.').try_fold(root, |v, part| v.get(part))
}

fn set_path(root: &mut Value, key: &str, value: Value) {
    let parts: Vec<&str> = key.split('.').collect();
    let mut cur = root;
    for (i, part) in parts.iter().enumerate() {
        if !cur.is_object() {
            *cur = Value::Object(Map::new());
        }
        let Value::Object(m) = cur else { return };
        if i + 1 == parts.len() {
            m.insert((*part).to_string(), value);
            return;
        }
        cur = m
            .entry((*part).to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

struct Reader<'a> {
    root: &'a Value,
    base: &'a Path,
}

impl Reader<'_> {
    fn string(&self, key: &str) -> Result<Option<String>, ConfigError> {
        match get_path(self.root, key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(_) => Err(invalid(format!("{key} must be a string"))),
        }
    }

    fn path(&self, key: &str) -> Result<Option<PathBuf>, ConfigError> {
        Ok(self.string(key)?.map(|p| resolve(self.base, &p)))
    }

    fn uint(&self, key: &str) -> Result<Option<u64>, ConfigError> {
        match get_path(self.root, key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_u64()
                .map(Some)
                .ok_or_else(|| invalid(format!("{key} must be a non-negative integer"))),
            Some(Value::String(s)) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| invalid(format!("{key} must be a non-negative integer"))),
            Some(_) => Err(invalid(format!("{key} must be a non-negative integer"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn go_config_with_env_override_and_relative_paths() {
        let v = json!({
            "Server": {"http_addr": ":4443", "tls_key_file": "./server.key", "tls_cert_file": "server.crt"},
            "trust_service": {"type": "remote", "hostname": "notarysigner", "port": 7899,
                "tls_ca_file": "root.crt", "key_algorithm": "ecdsa",
                "tls_client_cert": "c.crt", "tls_client_key": "c.key"},
            "logging": {"level": "debug"},
            "storage": {"backend": "mysql", "db_url": "server@tcp(mysql:3306)/notaryserver?parseTime=True"},
            "caching": {"max_age": {"current_metadata": 0}},
            "repositories": {"gun_prefixes": ["docker.io/"]}
        });
        let env = |k: &str| (k == "NOTARY_SERVER_LOGGING_LEVEL").then(|| "info".to_string());
        let c = Config::from_value(v, Path::new("/etc/notary"), env).unwrap();
        assert_eq!(c.http_addr, "0.0.0.0:4443".parse().unwrap());
        assert_eq!(
            c.tls_cert_file.as_deref(),
            Some(Path::new("/etc/notary/server.crt"))
        );
        assert_eq!(c.log_level, "info");
        assert_eq!(
            c.storage,
            StorageConfig::Mysql("mysql://server@mysql:3306/notaryserver".into())
        );
        assert_eq!(c.cache.current_metadata, 0);
        assert_eq!(c.cache.consistent_metadata, 2_592_000);
        assert_eq!(c.gun_prefixes, vec!["docker.io/".to_string()]);
        let TrustServiceConfig::Remote(r) = c.trust_service else {
            panic!("remote expected")
        };
        assert_eq!(r.port, "7899");
        assert_eq!(
            r.tls_ca_file.as_deref(),
            Some(Path::new("/etc/notary/root.crt"))
        );
    }

    #[test]
    fn debug_output_hides_database_passwords() {
        for (backend, url) in [
            (
                "postgres",
                "postgres://server:pg-s3cret@db:5432/notaryserver",
            ),
            (
                "mysql",
                "server:my-s3cret@tcp(mysql:3306)/notaryserver?parseTime=True",
            ),
        ] {
            let v = json!({"server": {"http_addr": ":4443"}, "trust_service": {"type": "local"},
                "storage": {"backend": backend, "db_url": url}});
            let c = Config::from_value(v, Path::new("."), no_env).unwrap();
            let shown = format!("{c:?}");
            assert!(!shown.contains("s3cret"), "{shown}");
            assert!(shown.contains(":***@"), "{shown}");
        }
    }

    #[test]
    fn rejects_bad_values() {
        let base = json!({"server": {"http_addr": ":4443"}, "trust_service": {"type": "local"},
            "storage": {"backend": "memory"}});
        assert!(Config::from_value(base.clone(), Path::new("."), no_env).is_ok());
        let mut bad = base.clone();
        bad["repositories"] = json!({"gun_prefixes": ["/nope/"]});
        assert!(Config::from_value(bad, Path::new("."), no_env).is_err());
        let mut bad = base.clone();
        bad["caching"] = json!({"max_age": {"current_metadata": 31536001}});
        assert!(Config::from_value(bad, Path::new("."), no_env).is_err());
        let mut bad = base.clone();
        bad["trust_service"] = json!({"type": "other"});
        assert!(Config::from_value(bad, Path::new("."), no_env).is_err());
        let env = |k: &str| (k == "NOTARY_SERVER_STORAGE_BACKEND").then(|| "oracle".to_string());
        assert!(Config::from_value(base, Path::new("."), env).is_err());
    }
}

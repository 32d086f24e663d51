//! The `auth` section of the server config (spec-server §8.1, §9.2).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use super::token_keys::RootBundle;

/// `auth.type: token` with its `auth.options`.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// URL of the token service, advertised in challenges.
    pub realm: String,
    /// Advertised in challenges; a token's `aud` must equal it.
    pub service: String,
    /// A token's `iss` must equal it.
    pub issuer: String,
    /// Where the root bundle was read from (relative paths resolve against the config file's
    /// directory, like every other path in this config).
    pub rootcertbundle: PathBuf,
    /// Advertise `https://<request Host>/auth/token` as the realm.
    pub autoredirect: bool,
    /// The parsed bundle.
    pub roots: Arc<RootBundle>,
}

/// Reads the (already key-lower-cased) `auth` value. `None` unless `auth.type` is `token`:
/// like Go, any other type or no section means no authentication at all.
pub fn parse(auth: Option<&Value>, base_dir: &Path) -> Result<Option<AuthConfig>, String> {
    let Some(auth) = auth else { return Ok(None) };
    if auth.get("type").and_then(Value::as_str) != Some("token") {
        return Ok(None);
    }
    let Some(options) = auth.get("options").and_then(Value::as_object) else {
        return Err("auth.options must be a map[string]interface{}".into());
    };
    let string = |name: &str| -> Result<String, String> {
        match options.get(name) {
            Some(Value::String(s)) => Ok(s.clone()),
            _ => Err(format!(
                "token auth requires a valid option string: {name:?}"
            )),
        }
    };
    let realm = string("realm")?;
    let service = string("service")?;
    let issuer = string("issuer")?;
    let bundle = string("rootcertbundle")?;
    let autoredirect = match options.get("autoredirect") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err("token auth requires a valid option bool: autoredirect".into()),
    };
    let rootcertbundle = {
        let p = Path::new(&bundle);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            base_dir.join(p)
        }
    };
    let pem = std::fs::read(&rootcertbundle).map_err(|e| {
        format!(
            "unable to open token auth root certificate bundle file {:?}: {e}",
            rootcertbundle.display().to_string()
        )
    })?;
    let roots = RootBundle::from_pem(&pem)?;
    Ok(Some(AuthConfig {
        realm,
        service,
        issuer,
        rootcertbundle,
        autoredirect,
        roots: Arc::new(roots),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_token_type_enables_auth() {
        let dir = std::env::temp_dir();
        assert!(parse(None, &dir).unwrap().is_none());
        assert!(parse(Some(&json!({"type": "htpasswd"})), &dir)
            .unwrap()
            .is_none());
        assert!(parse(Some(&json!({})), &dir).unwrap().is_none());
        assert_eq!(
            parse(Some(&json!({"type": "token", "options": []})), &dir).unwrap_err(),
            "auth.options must be a map[string]interface{}"
        );
        assert_eq!(
            parse(
                Some(&json!({"type": "token", "options": {"realm": "r", "service": "s"}})),
                &dir
            )
            .unwrap_err(),
            "token auth requires a valid option string: \"issuer\""
        );
    }

    #[test]
    fn reads_relative_bundle_and_autoredirect() {
        let dir = tempfile::tempdir().unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(Vec::<String>::new())
            .unwrap()
            .self_signed(&key)
            .unwrap();
        std::fs::write(dir.path().join("b.crt"), cert.pem()).unwrap();
        let a = parse(
            Some(
                &json!({"type": "token", "options": {"realm": "https://r/t", "service": "s",
                "issuer": "i", "rootcertbundle": "b.crt", "autoredirect": true}}),
            ),
            dir.path(),
        )
        .unwrap()
        .unwrap();
        assert!(a.autoredirect);
        assert_eq!(a.rootcertbundle, dir.path().join("b.crt"));
        assert_eq!(a.roots.keys.len(), 1);
    }
}

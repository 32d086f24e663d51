//! Passphrases per alias (spec-signer §3.2).
//!
//! The passphrase of alias `A` is the environment variable `NOTARY_SIGNER_<A upper-cased, '.'
//! replaced by '_'>`, as in Go. Optionally (config `storage.passphrase_dir`) it can be kept in a
//! file named exactly `A` inside that directory (Harbor keeps it in a file named `defaultalias`);
//! the environment variable wins when both exist. Values are read on every use, never cached,
//! never logged; an empty value is an error.

use std::path::PathBuf;

use zeroize::Zeroizing;

/// Why no passphrase is available for an alias.
#[derive(Debug, thiserror::Error)]
pub enum PassphraseError {
    /// Neither the env variable nor the file gave a non-empty value.
    #[error("expected env variable to not be empty: {0}")]
    Missing(String),
}

/// Where passphrases come from.
#[derive(Debug, Clone)]
pub enum Passphrases {
    /// Environment (`NOTARY_SIGNER_<ALIAS>`), then `<dir>/<alias>` if a directory is configured.
    External {
        /// Directory holding one file per alias.
        dir: Option<PathBuf>,
    },
    /// One fixed secret for every alias (the `memory` backend uses a random one).
    Fixed(Zeroizing<String>),
}

impl Passphrases {
    /// A random per-process secret (for the `memory` backend).
    pub fn random() -> Self {
        use ring::rand::SecureRandom as _;
        let mut bytes = Zeroizing::new([0u8; 32]);
        // A failing system RNG leaves zeros: the memory store is then still per-process only.
        let _ = ring::rand::SystemRandom::new().fill(bytes.as_mut());
        Self::Fixed(Zeroizing::new(hex::encode(bytes.as_ref())))
    }

    /// The passphrase of `alias`.
    pub fn get(&self, alias: &str) -> Result<Zeroizing<String>, PassphraseError> {
        match self {
            Self::Fixed(secret) => Ok(secret.clone()),
            Self::External { dir } => {
                if let Ok(value) = std::env::var(env_name(alias)) {
                    if !value.is_empty() {
                        return Ok(Zeroizing::new(value));
                    }
                }
                if let Some(dir) = dir {
                    if is_plain_name(alias) {
                        if let Ok(text) = std::fs::read_to_string(dir.join(alias)) {
                            let text = Zeroizing::new(text);
                            let value = text.trim_end_matches(['\r', '\n']);
                            if !value.is_empty() {
                                return Ok(Zeroizing::new(value.to_owned()));
                            }
                        }
                    }
                }
                Err(PassphraseError::Missing(alias.to_owned()))
            }
        }
    }
}

/// `NOTARY_SIGNER_` + upper-case alias with `.` → `_`: the config's environment rule.
pub fn env_name(alias: &str) -> String {
    crate::config::env_name(alias)
}

/// An alias usable as a file name (no path separators, not `.`/`..`).
fn is_plain_name(alias: &str) -> bool {
    !alias.is_empty() && alias != "." && alias != ".." && !alias.contains(['/', '\\', '\0'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names_follow_go() {
        assert_eq!(env_name("defaultalias"), "NOTARY_SIGNER_DEFAULTALIAS");
        assert_eq!(env_name("timestamp_1"), "NOTARY_SIGNER_TIMESTAMP_1");
        assert_eq!(env_name("a.b"), "NOTARY_SIGNER_A_B");
    }

    #[test]
    fn file_source_trims_newline_and_rejects_empty() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("unit_file_alias"), "s3cret\n").unwrap();
        std::fs::write(dir.path().join("unit_empty_alias"), "\n").unwrap();
        let p = Passphrases::External {
            dir: Some(dir.path().to_path_buf()),
        };
        assert_eq!(p.get("unit_file_alias").unwrap().as_str(), "s3cret");
        assert!(p.get("unit_empty_alias").is_err());
        assert!(p.get("unit_absent_alias").is_err());
        assert!(p.get("../etc").is_err());
    }
}

//! A temp dir with the dev PKI.

use std::path::{Path, PathBuf};

use notary_devcerts::DevPki;
use tempfile::TempDir;

/// A temp dir (removed on drop) holding the dev PKI in `pki/`.
pub struct Env {
    pub pki: DevPki,
    pub dir: TempDir,
}

impl Default for Env {
    fn default() -> Self {
        Self::new()
    }
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().expect("tempdir");
        let pki = notary_devcerts::generate(&dir.path().join("pki")).expect("dev pki");
        Env { pki, dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A directory `name` inside (created), e.g. a notary CLI trust dir.
    pub fn subdir(&self, name: &str) -> PathBuf {
        subdir(self.path(), name)
    }

    /// Writes `contents` to the file `name` inside; returns its path.
    pub fn file(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path().join(name);
        std::fs::write(&p, contents).expect("write test file");
        p
    }

    /// The signer's `storage.passphrase_dir` (created).
    pub fn passphrase_dir(&self) -> PathBuf {
        self.subdir("passphrases")
    }

    /// Writes the passphrase file of `alias`.
    pub fn set_passphrase(&self, alias: &str, value: &str) {
        std::fs::write(self.passphrase_dir().join(alias), format!("{value}\n"))
            .expect("passphrase file");
    }

    pub fn remove_passphrase(&self, alias: &str) {
        let _ = std::fs::remove_file(self.passphrase_dir().join(alias));
    }
}

/// `dir/name`, created.
pub(crate) fn subdir(dir: &Path, name: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::create_dir_all(&p).expect("create test dir");
    p
}

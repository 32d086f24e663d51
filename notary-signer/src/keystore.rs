//! The key service behind both gRPC services: create (with pending-key reuse), look up, sign,
//! soft-delete (spec-signer §2, §3.4).
//!
//! Decrypted keys are cached (PBKDF2 with 8192 rounds costs milliseconds), but the cache is
//! never trusted on its own: every `GetKeyInfo` reads the row, and `Sign` runs the `last_used`
//! UPDATE — which matches only a live row — unless this process already ran it successfully
//! for that key less than [`LIVENESS_WINDOW`] ago. So a key removed by `DeleteKey` is refused
//! at once (it is evicted), and one removed by operator SQL (`delete from private_keys ...`) or
//! by another replica signs nothing more after at most 0.5 s, with no restart (Go keeps
//! signing with such keys until restarted, spec-signer §3.6). Unlike Go, `last_used` is thus
//! refreshed at most twice a second per key instead of on every signature (one database
//! write per signature would cap throughput at the database's commit rate); NULL vs non-NULL,
//! the only thing that matters (pending-key reuse), is unaffected: a key's first signature
//! always writes it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use crate::crypto::{jwe, KeyAlgorithm, NewKeyPair, SigningKey};
use crate::error::SignerError;
use crate::passphrase::Passphrases;
use crate::storage::{NewKey, Store, StoreError};

/// Upper bound on cached decrypted keys; the cache is cleared when it is exceeded.
const CACHE_LIMIT: usize = 10_000;

/// How long a successful `last_used` UPDATE (which only matches a live row) vouches for the
/// key's existence before the next signature checks the database again.
pub const LIVENESS_WINDOW: Duration = Duration::from_millis(500);

/// Public description of a key (CreateKey / GetKeyInfo).
#[derive(Debug, Clone)]
pub struct KeyDescription {
    /// TUF key ID recomputed from the public key.
    pub key_id: String,
    /// Key type string (`ecdsa` / `ed25519`).
    pub algorithm: String,
    /// Public key bytes.
    pub public: Vec<u8>,
    /// Role stored with the key.
    pub role: String,
}

/// A signature made by [`KeyService::sign`].
#[derive(Debug, Clone)]
pub struct SignatureOutput {
    /// TUF key ID.
    pub key_id: String,
    /// Key type (`ecdsa` / `ed25519`).
    pub key_algorithm: &'static str,
    /// Signature method (`ecdsa` / `eddsa`).
    pub method: &'static str,
    /// Raw signature bytes.
    pub signature: Vec<u8>,
}

struct CachedKey {
    signing: SigningKey,
    description: KeyDescription,
    /// When this process last saw the `last_used` UPDATE match the live row (issue time).
    confirmed: Mutex<Option<Instant>>,
}

impl CachedKey {
    fn recently_confirmed(&self) -> bool {
        self.confirmed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some_and(|t| t.elapsed() < LIVENESS_WINDOW)
    }

    fn confirm(&self, at: Instant) {
        *self.confirmed.lock().unwrap_or_else(|p| p.into_inner()) = Some(at);
    }
}

/// Why a key could not be loaded (all collapse to NOT_FOUND at the RPC edge).
#[derive(Debug, thiserror::Error)]
enum LoadError {
    #[error("no live row")]
    Absent,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Passphrase(#[from] crate::passphrase::PassphraseError),
    #[error(transparent)]
    Jwe(#[from] jwe::JweError),
    #[error(transparent)]
    Key(#[from] crate::crypto::KeyError),
    #[error("private column is not ASCII")]
    NotAscii,
    #[error("blocking task failed")]
    Join,
}

/// Everything the RPC handlers need.
#[derive(Clone)]
pub struct KeyService {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    passphrases: Passphrases,
    default_alias: String,
    cache: RwLock<HashMap<String, Arc<CachedKey>>>,
}

impl KeyService {
    /// A service over `store`, encrypting new keys with the passphrase of `default_alias`.
    pub fn new(store: Store, passphrases: Passphrases, default_alias: String) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                passphrases,
                default_alias,
                cache: RwLock::new(HashMap::new()),
            }),
        }
    }

    /// The underlying store (for health probes).
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// CreateKey: returns the pending key of `(gun, role, algorithm)` or makes a new one.
    pub async fn create_key(
        &self,
        algorithm: &str,
        gun: &str,
        role: &str,
    ) -> Result<KeyDescription, SignerError> {
        let alg = KeyAlgorithm::parse(algorithm)
            .ok_or_else(|| SignerError::UnsupportedAlgorithm(algorithm.to_owned()))?;
        let inner = self.inner.clone();
        let (gun, role) = (gun.to_owned(), role.to_owned());
        let result = tokio::task::spawn_blocking(move || inner.create_blocking(alg, &gun, &role))
            .await
            .map_err(|_| SignerError::CreateFailed)?;
        result.map_err(|e| {
            tracing::error!(error = %e, algorithm, "key creation failed");
            SignerError::CreateFailed
        })
    }

    /// GetKeyInfo: the live key `key_id` (decryptable with its alias' passphrase).
    pub async fn key_info(&self, key_id: &str) -> Result<KeyDescription, SignerError> {
        match self.load(key_id).await {
            Ok(key) => Ok(key.description.clone()),
            Err(e) => {
                tracing::info!(key_id, error = %e, "GetKeyInfo: key not available");
                Err(SignerError::KeyNotFound(key_id.to_owned()))
            }
        }
    }

    /// Sign: signs `content` with the live key `key_id` and marks it used.
    pub async fn sign(&self, key_id: &str, content: &[u8]) -> Result<SignatureOutput, SignerError> {
        let not_found = |e: LoadError| {
            tracing::info!(key_id, error = %e, "Sign: key not available");
            SignerError::SigningKeyNotFound(key_id.to_owned())
        };
        let cached = self.inner.cached(key_id);
        let key = match cached {
            Some(key) => key,
            None => self.load(key_id).await.map_err(not_found)?,
        };
        if !key.recently_confirmed() {
            // The UPDATE is the liveness check: it matches only a row that is still there and
            // not soft-deleted.
            let issued = Instant::now();
            let inner = self.inner.clone();
            let id = key_id.to_owned();
            let live = tokio::task::spawn_blocking(move || {
                inner.store.mark_used(&id, chrono::Utc::now().naive_utc())
            })
            .await
            .map_err(|_| not_found(LoadError::Join))?
            .map_err(|e| not_found(e.into()))?;
            if !live {
                self.inner.evict(key_id);
                return Err(not_found(LoadError::Absent));
            }
            key.confirm(issued);
        }
        let signature = key.signing.sign(content).map_err(|e| {
            tracing::error!(key_id, error = %e, "signing failed");
            SignerError::SigningFailed(key_id.to_owned())
        })?;
        let alg = key.signing.algorithm();
        Ok(SignatureOutput {
            key_id: key.description.key_id.clone(),
            key_algorithm: alg.as_str(),
            method: alg.signature_method(),
            signature,
        })
    }

    /// DeleteKey: evicts and soft-deletes; unknown IDs succeed.
    pub async fn delete_key(&self, key_id: &str) -> Result<(), SignerError> {
        self.inner.evict(key_id);
        let inner = self.inner.clone();
        let id = key_id.to_owned();
        let result = tokio::task::spawn_blocking(move || {
            inner.store.soft_delete(&id, chrono::Utc::now().naive_utc())
        })
        .await;
        match result {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => {
                tracing::error!(key_id, error = %e, "key deletion failed");
                Err(SignerError::DeleteFailed(key_id.to_owned()))
            }
            Err(_) => Err(SignerError::DeleteFailed(key_id.to_owned())),
        }
    }

    async fn load(&self, key_id: &str) -> Result<Arc<CachedKey>, LoadError> {
        let inner = self.inner.clone();
        let id = key_id.to_owned();
        tokio::task::spawn_blocking(move || inner.load_blocking(&id))
            .await
            .map_err(|_| LoadError::Join)?
    }
}

impl Inner {
    fn create_blocking(
        &self,
        alg: KeyAlgorithm,
        gun: &str,
        role: &str,
    ) -> Result<KeyDescription, Box<dyn std::error::Error + Send + Sync>> {
        if let Some(row) = self.store.find_pending(gun, role, alg.as_str())? {
            return Ok(KeyDescription {
                key_id: crate::crypto::key_id(&row.algorithm, &row.public),
                algorithm: row.algorithm,
                public: row.public,
                role: row.role,
            });
        }
        let pair = NewKeyPair::generate(alg)?;
        let passphrase = self.passphrases.get(&self.default_alias)?;
        let private = jwe::encrypt(&pair.private, passphrase.as_bytes())?;
        let id = pair.key_id();
        let now = chrono::Utc::now().naive_utc();
        self.store.insert(&NewKey {
            created_at: now,
            updated_at: now,
            key_id: &id,
            encryption_alg: jwe::ENCRYPTION_ALG,
            keywrap_alg: jwe::KEY_WRAP_ALG,
            algorithm: alg.as_str(),
            passphrase_alias: &self.default_alias,
            public: &pair.public,
            private: private.as_bytes(),
            gun,
            role,
        })?;
        tracing::info!(key_id = %id, gun, role, algorithm = alg.as_str(), "created key");
        Ok(KeyDescription {
            key_id: id,
            algorithm: alg.as_str().to_owned(),
            public: pair.public,
            role: role.to_owned(),
        })
    }

    fn load_blocking(&self, key_id: &str) -> Result<Arc<CachedKey>, LoadError> {
        let row = self.store.get(key_id)?.ok_or(LoadError::Absent)?;
        if let Some(cached) = self.cached(key_id) {
            if cached.description.public == row.public {
                return Ok(cached);
            }
        }
        let passphrase = self.passphrases.get(&row.passphrase_alias)?;
        let token = std::str::from_utf8(&row.private).map_err(|_| LoadError::NotAscii)?;
        let plaintext = jwe::decrypt(token, passphrase.as_bytes())?;
        let signing = SigningKey::from_stored(&row.algorithm, &row.public, &plaintext)?;
        let key = Arc::new(CachedKey {
            signing,
            description: KeyDescription {
                key_id: crate::crypto::key_id(&row.algorithm, &row.public),
                algorithm: row.algorithm,
                public: row.public,
                role: row.role,
            },
            confirmed: Mutex::new(None),
        });
        let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(key_id.to_owned(), key.clone());
        Ok(key)
    }

    fn cached(&self, key_id: &str) -> Option<Arc<CachedKey>> {
        self.cache
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(key_id)
            .cloned()
    }

    fn evict(&self, key_id: &str) {
        self.cache
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key_id);
    }
}

//! In-process keys for tests and the quickstart (`trust_service.type: local`): ECDSA P-256 via
//! ring, held in memory only (lost at restart). Like notary-signer, `create_key` hands out the
//! same pending key for (gun, role, algorithm) until that key has signed something.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};

use super::{CryptoService, KeyRequest, SignerError, SignerKey};

struct Entry {
    pair: EcdsaKeyPair,
    public: SignerKey,
    owner: (String, String),
    used: bool,
}

/// Keys in memory.
#[derive(Default)]
pub struct LocalSigner {
    keys: Mutex<HashMap<String, Entry>>,
}

impl LocalSigner {
    pub fn new() -> Self {
        Self::default()
    }
}

fn lock_err<T>(_: T) -> SignerError {
    SignerError::Rpc("key store lock poisoned".into())
}

#[async_trait]
impl CryptoService for LocalSigner {
    async fn create_key(&self, req: KeyRequest<'_>) -> Result<SignerKey, SignerError> {
        let (role, gun, algorithm) = (req.role, req.gun, req.algorithm);
        if algorithm != "ecdsa" {
            return Err(SignerError::Algorithm(algorithm.to_string()));
        }
        let mut keys = self.keys.lock().map_err(lock_err)?;
        let owner = (gun.to_string(), role.to_string());
        let mut pending: Vec<(&String, &Entry)> = keys
            .iter()
            .filter(|(_, e)| !e.used && e.owner == owner)
            .collect();
        pending.sort_by(|a, b| a.0.cmp(b.0));
        if let Some((_, e)) = pending.first() {
            return Ok(e.public.clone());
        }
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| SignerError::Rpc("Key creation failed".into()))?;
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .map_err(|_| SignerError::Rpc("Key creation failed".into()))?;
        let public = SignerKey {
            keytype: "ecdsa".into(),
            public: notary_tuf::crypto::p256_spki_from_point(pair.public_key().as_ref()),
        };
        keys.insert(
            public.key_id(),
            Entry {
                pair,
                public: public.clone(),
                owner,
                used: false,
            },
        );
        Ok(public)
    }

    async fn public_key(&self, key_id: &str) -> Result<Option<SignerKey>, SignerError> {
        let keys = self.keys.lock().map_err(lock_err)?;
        Ok(keys.get(key_id).map(|e| e.public.clone()))
    }

    async fn sign(&self, key_id: &str, msg: &[u8]) -> Result<Vec<u8>, SignerError> {
        let mut keys = self.keys.lock().map_err(lock_err)?;
        let e = keys
            .get_mut(key_id)
            .ok_or_else(|| SignerError::NotFound(key_id.to_string()))?;
        let sig = e
            .pair
            .sign(&SystemRandom::new(), msg)
            .map_err(|_| SignerError::Rpc(format!("Signing failed for KeyID {key_id}")))?;
        e.used = true;
        Ok(sig.as_ref().to_vec())
    }

    async fn delete_key(&self, key_id: &str) -> Result<(), SignerError> {
        self.keys.lock().map_err(lock_err)?.remove(key_id);
        Ok(())
    }

    async fn check_health(&self) -> Result<(), String> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ecdsa(role: &str) -> KeyRequest<'_> {
        KeyRequest {
            role,
            gun: "g",
            algorithm: "ecdsa",
        }
    }
    use ring::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_FIXED};

    #[tokio::test]
    async fn pending_key_reused_until_used_and_signatures_verify() {
        let s = LocalSigner::new();
        let k1 = s.create_key(ecdsa("timestamp")).await.unwrap();
        let k2 = s.create_key(ecdsa("timestamp")).await.unwrap();
        assert_eq!(k1, k2);
        assert!(k1
            .public_b64()
            .starts_with("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE"));
        let sig = s.sign(&k1.key_id(), b"msg").await.unwrap();
        assert_eq!(sig.len(), 64);
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &k1.public[26..])
            .verify(b"msg", &sig)
            .unwrap();
        let k3 = s.create_key(ecdsa("timestamp")).await.unwrap();
        assert_ne!(k1, k3);
        assert!(matches!(
            s.sign("nope", b"x").await,
            Err(SignerError::NotFound(_))
        ));
    }

    #[tokio::test]
    async fn deleted_key_is_gone_and_delete_is_idempotent() {
        let s = LocalSigner::new();
        let k = s.create_key(ecdsa("snapshot")).await.unwrap();
        s.delete_key(&k.key_id()).await.unwrap();
        s.delete_key(&k.key_id()).await.unwrap();
        assert_eq!(s.public_key(&k.key_id()).await.unwrap(), None);
        assert!(matches!(
            s.sign(&k.key_id(), b"x").await,
            Err(SignerError::NotFound(_))
        ));
        assert_ne!(s.create_key(ecdsa("snapshot")).await.unwrap(), k);
    }
}

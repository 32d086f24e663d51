//! Signature verification (single signatures and role thresholds), signing, and X.509 helpers.

mod signing;
mod verify;
pub mod x509;

use std::collections::{BTreeMap, BTreeSet};

pub use signing::{
    ecdsa_p256_public_key, ed25519_public_key, p256_spki_from_point, sign_ecdsa_p256, sign_ed25519,
};
pub use verify::{
    verify_signature, METHOD_ECDSA, METHOD_EDDSA, METHOD_PYCRYPTO, METHOD_RSAPKCS1V15,
    METHOD_RSAPSS,
};

use crate::cjson;
use crate::data::{Envelope, KeyType, PublicKey};
use crate::error::TufError;

/// The keys and threshold a role's signatures are checked against (Go `data.BaseRole`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleKeys {
    /// Role name, used in `valid signatures did not meet threshold for <name>`.
    pub name: String,
    /// Key ID → key. Normally the IDs are the keys' own IDs; a mismatch makes any signature
    /// claiming that ID a hard failure (`key ID is not valid for key content`).
    pub keys: BTreeMap<String, PublicKey>,
    /// How many distinct keys must have signed; below 1 no signature set is enough.
    pub threshold: i64,
}

impl RoleKeys {
    /// Keys and threshold of the role `name`, as given.
    pub fn new(name: impl Into<String>, keys: BTreeMap<String, PublicKey>, threshold: i64) -> Self {
        RoleKeys {
            name: name.into(),
            keys,
            threshold,
        }
    }

    /// Build from a list of key IDs resolved against a key map (root `keys` or delegation
    /// `keys`). Returns the first ID that does not resolve as the error.
    pub fn from_ids(
        name: impl Into<String>,
        keyids: &[String],
        all_keys: &BTreeMap<String, PublicKey>,
        threshold: i64,
    ) -> Result<Self, String> {
        let mut keys = BTreeMap::new();
        for id in keyids {
            let key = all_keys.get(id).ok_or_else(|| id.clone())?;
            keys.insert(id.clone(), key.clone());
        }
        Ok(RoleKeys::new(name, keys, threshold))
    }
}

/// The signature method the server uses for a key type (`ecdsa`, `eddsa`, `rsapss`);
/// `None` for unknown key types.
pub fn method_for(keytype: &KeyType) -> Option<&'static str> {
    match keytype {
        KeyType::Ecdsa | KeyType::EcdsaX509 => Some(METHOD_ECDSA),
        KeyType::Ed25519 => Some(METHOD_EDDSA),
        KeyType::Rsa | KeyType::RsaX509 => Some(METHOD_RSAPSS),
        KeyType::Other(_) => None,
    }
}

/// Go `signed.VerifySignatures` (spec-server §3.6.2):
///
/// 1. no signatures → `tuf: data has no signatures`;
/// 2. threshold < 1 → `valid signatures did not meet threshold`;
/// 3. the message is the canonical JSON of `signed` re-encoded from a generic tree (never the
///    raw bytes); a non-object `signed` fails;
/// 4. signatures whose `keyid` is not in the role are skipped; a role key whose computed ID
///    differs from `keyid` → `key ID is not valid for key content`; failed verifications are
///    skipped; **only the first signature of each key ID is verified** (Go tries every one, so
///    an upload with thousands of bogus signatures for one key cost thousands of verifications;
///    no client writes two signatures with one key);
/// 5. fewer distinct valid key IDs than the threshold →
///    `valid signatures did not meet threshold for <role>`.
///
/// Returns the set of key IDs with a valid signature.
pub fn verify_signatures(env: &Envelope, role: &RoleKeys) -> Result<BTreeSet<String>, TufError> {
    if env.signatures.is_empty() {
        return Err(TufError::NoSignatures);
    }
    if role.threshold < 1 {
        return Err(TufError::RoleThreshold { role: None });
    }
    if !env.signed.is_object() {
        return Err(if env.signed.is_null() {
            TufError::MissingSigned
        } else {
            TufError::MalformedJson("signed is not a JSON object".to_string())
        });
    }
    let msg = cjson::canonicalize(&env.signed)?;
    let mut valid = BTreeSet::new();
    let mut tried: BTreeSet<&str> = BTreeSet::new();
    for sig in &env.signatures {
        let Some(key) = role.keys.get(&sig.keyid) else {
            continue;
        };
        if !tried.insert(sig.keyid.as_str()) {
            continue;
        }
        if key.key_id() != sig.keyid {
            return Err(TufError::InvalidKeyId);
        }
        if verify_signature(key, &sig.method, &msg, &sig.sig).is_ok() {
            valid.insert(sig.keyid.clone());
        }
    }
    if (valid.len() as i64) < role.threshold {
        return Err(TufError::RoleThreshold {
            role: Some(role.name.clone()),
        });
    }
    Ok(valid)
}

//! Verified tokens keyed by their exact bytes, kept until they expire, so a client reusing its
//! token skips signature and chain checks. Only successful verifications are stored, and the
//! time window is re-checked on every hit.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use super::jwt::{VerifiedToken, LEEWAY_SECS};

/// Most tokens kept; when full, expired ones are dropped, and if that frees nothing the cache
/// starts over (a flood of distinct valid tokens cannot grow memory without bound).
const MAX_ENTRIES: usize = 4096;

#[derive(Default)]
pub struct TokenCache {
    map: RwLock<HashMap<String, Arc<VerifiedToken>>>,
}

fn usable(t: &VerifiedToken, now: i64) -> bool {
    now <= t.expires_at.saturating_add(LEEWAY_SECS)
        && now >= t.not_before.saturating_sub(LEEWAY_SECS)
}

impl TokenCache {
    /// A still-valid verified token with exactly these bytes.
    pub fn get(&self, raw: &str, now: i64) -> Option<Arc<VerifiedToken>> {
        let map = self.map.read().ok()?;
        map.get(raw).filter(|t| usable(t, now)).cloned()
    }

    pub fn insert(&self, raw: &str, token: VerifiedToken, now: i64) -> Arc<VerifiedToken> {
        let token = Arc::new(token);
        if let Ok(mut map) = self.map.write() {
            if map.len() >= MAX_ENTRIES {
                map.retain(|_, t| usable(t, now));
                if map.len() >= MAX_ENTRIES {
                    map.clear();
                }
            }
            map.insert(raw.to_string(), token.clone());
        }
        token
    }
}

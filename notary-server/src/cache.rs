//! The hot read path: the current `timestamp.json` of each GUN served from memory.
//!
//! Change detection: an entry is trusted for at most [`REVALIDATE_AFTER`] (1 s). After that the
//! next reader runs one indexed query for the id of the GUN's newest timestamp row; if it is
//! unchanged the entry is trusted for another second, otherwise it is dropped and the request
//! takes the normal path. Every storage backend supports this query, so another replica's
//! publish, an operator's `DELETE FROM tuf_files WHERE gun = '…'` or a hand-inserted row is
//! visible within one second, without restart. Writes made by this process drop the entry at
//! once. An entry is never served past the expiry of its timestamp or of the snapshot it
//! names (those need re-signing).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// Longest time an entry is served without asking the database.
pub const REVALIDATE_AFTER: Duration = Duration::from_secs(1);
/// Bound on the number of GUNs kept (the map is cleared when full).
const MAX_ENTRIES: usize = 10_000;

/// A cached current timestamp.
#[derive(Debug)]
pub struct CachedTimestamp {
    pub bytes: bytes::Bytes,
    pub etag: String,
    pub last_modified: DateTime<Utc>,
    /// Id of the tuf_files row it came from.
    pub row_id: i32,
    /// Earliest of the timestamp's and the snapshot's expiry.
    pub fresh_until: DateTime<Utc>,
    checked_at: RwLock<Instant>,
}

impl CachedTimestamp {
    pub fn new(
        bytes: bytes::Bytes,
        etag: String,
        last_modified: DateTime<Utc>,
        row_id: i32,
        fresh_until: DateTime<Utc>,
    ) -> Self {
        CachedTimestamp {
            bytes,
            etag,
            last_modified,
            row_id,
            fresh_until,
            checked_at: RwLock::new(Instant::now()),
        }
    }

    /// Whether the entry may be served without asking the database.
    pub fn recently_checked(&self) -> bool {
        self.checked_at
            .read()
            .map(|t| t.elapsed() < REVALIDATE_AFTER)
            .unwrap_or(false)
    }

    /// Records a successful revalidation.
    pub fn mark_checked(&self) {
        if let Ok(mut t) = self.checked_at.write() {
            *t = Instant::now();
        }
    }
}

/// GUN → cached current timestamp.
///
/// A reader takes [`TimestampCache::epoch`] before reading the database and passes it to
/// [`TimestampCache::put`]; every local write bumps the epoch in [`TimestampCache::remove`], so
/// a reader that raced with a write on this replica never re-inserts what it read before the
/// write (read-your-writes on one replica).
#[derive(Default)]
pub struct TimestampCache {
    map: RwLock<HashMap<String, Arc<CachedTimestamp>>>,
    epoch: AtomicU64,
}

impl TimestampCache {
    /// The write epoch; take it before reading the database.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    pub fn get(&self, gun: &str) -> Option<Arc<CachedTimestamp>> {
        self.map.read().ok()?.get(gun).cloned()
    }

    pub fn put(&self, gun: &str, entry: CachedTimestamp, epoch: u64) {
        if let Ok(mut m) = self.map.write() {
            // Checked under the write lock: `remove` bumps the epoch before taking it.
            if self.epoch.load(Ordering::SeqCst) != epoch {
                return;
            }
            if m.len() >= MAX_ENTRIES && !m.contains_key(gun) {
                m.clear();
            }
            m.insert(gun.to_string(), Arc::new(entry));
        }
    }

    pub fn remove(&self, gun: &str) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut m) = self.map.write() {
            m.remove(gun);
        }
    }
}

//! The hot read path: the current `timestamp.json` of each GUN served from memory.
//!
//! Change detection: an entry is trusted for at most [`REVALIDATE_AFTER`] (1 s) after the
//! database last confirmed it. Confirming is one indexed query for the id of the GUN's newest
//! timestamp row; if it is unchanged the entry is trusted for another second, otherwise it is
//! dropped and the request takes the normal path. Under load one request confirms the entry
//! ahead of time (after [`REFRESH_AHEAD_AFTER`]) while the others keep being served from
//! memory, so a busy GUN costs about one query per second and no request waits on it; after
//! an idle second the first requests ask the database themselves. Every storage backend supports this query, so another replica's
//! publish, an operator's `DELETE FROM tuf_files WHERE gun = '…'` or a hand-inserted row is
//! visible within one second, without restart. Writes made by this process drop the entry at
//! once. An entry is never served past the expiry of its timestamp or of the snapshot it
//! names (those need re-signing).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::File;

/// Longest time an entry is served without asking the database.
pub const REVALIDATE_AFTER: Duration = Duration::from_secs(1);
/// Age after which one request (the one that wins [`CachedTimestamp::begin_refresh`])
/// revalidates ahead of time while the others keep serving the entry, so a busy GUN never has
/// every in-flight request queue on the database when [`REVALIDATE_AFTER`] runs out.
pub const REFRESH_AHEAD_AFTER: Duration = Duration::from_millis(750);
/// Bound on the number of GUNs kept (the map is cleared when full).
const MAX_ENTRIES: usize = 10_000;

/// Nanoseconds on a monotonic clock (since the first call), so the check time fits an atomic.
pub fn monotonic_nanos() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    let start = START.get_or_init(Instant::now);
    u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// What a reader may do with a cached entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Checked less than [`REFRESH_AHEAD_AFTER`] ago: serve it.
    Fresh,
    /// Checked less than [`REVALIDATE_AFTER`] ago: serve it, and revalidate now if
    /// [`CachedTimestamp::begin_refresh`] says this request is the one to do it.
    RefreshAhead,
    /// Not checked within [`REVALIDATE_AFTER`]: ask the database before serving it.
    Stale,
}

/// A cached current timestamp and the checksum of the snapshot it names.
#[derive(Debug)]
pub struct CachedTimestamp {
    /// The timestamp file.
    pub file: File,
    /// Lower-case hex sha256 of the snapshot the timestamp names.
    pub snapshot_sha256: Arc<str>,
    /// Id of the tuf_files row it came from.
    pub row_id: i32,
    /// Earliest of the timestamp's and the snapshot's expiry.
    pub fresh_until: DateTime<Utc>,
    /// [`monotonic_nanos`] when the database last confirmed the entry (taken before the
    /// query, so the bound holds however long the query takes).
    checked_at: AtomicU64,
    /// Set while one request revalidates ahead of time.
    refreshing: AtomicBool,
}

impl CachedTimestamp {
    /// `checked_at` is the [`monotonic_nanos`] taken before the database read the entry
    /// comes from.
    pub fn new(
        file: File,
        snapshot_sha256: Arc<str>,
        row_id: i32,
        fresh_until: DateTime<Utc>,
        checked_at: u64,
    ) -> Self {
        CachedTimestamp {
            file,
            snapshot_sha256,
            row_id,
            fresh_until,
            checked_at: AtomicU64::new(checked_at),
            refreshing: AtomicBool::new(false),
        }
    }

    /// How recently the database confirmed the entry, at `now` ([`monotonic_nanos`]).
    pub fn freshness(&self, now: u64) -> Freshness {
        let age = now.saturating_sub(self.checked_at.load(Ordering::Acquire));
        if age < REFRESH_AHEAD_AFTER.as_nanos() as u64 {
            Freshness::Fresh
        } else if age < REVALIDATE_AFTER.as_nanos() as u64 {
            Freshness::RefreshAhead
        } else {
            Freshness::Stale
        }
    }

    /// Claims the early revalidation; `None` when another request already does it. The
    /// claim is released when the guard drops (also if the request is cancelled).
    pub fn begin_refresh(&self) -> Option<RefreshGuard<'_>> {
        self.refreshing
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .ok()
            .map(|_| RefreshGuard(self))
    }

    /// Records that the database confirmed the entry by a query started at `started`
    /// ([`monotonic_nanos`]); never moves the check time backwards.
    pub fn mark_checked(&self, started: u64) {
        self.checked_at.fetch_max(started, Ordering::AcqRel);
    }
}

/// Releases [`CachedTimestamp::begin_refresh`]'s claim on drop.
pub struct RefreshGuard<'a>(&'a CachedTimestamp);

impl Drop for RefreshGuard<'_> {
    fn drop(&mut self) {
        self.0.refreshing.store(false, Ordering::Release);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(checked_at: u64) -> CachedTimestamp {
        CachedTimestamp::new(
            File::new(bytes::Bytes::from_static(b"{}"), Utc::now()),
            Arc::from(""),
            1,
            Utc::now(),
            checked_at,
        )
    }

    #[test]
    fn freshness_windows_and_single_refresher() {
        let ms = |n: u64| n * 1_000_000;
        let e = entry(ms(10_000));
        assert_eq!(e.freshness(ms(10_000)), Freshness::Fresh);
        assert_eq!(e.freshness(ms(10_749)), Freshness::Fresh);
        assert_eq!(e.freshness(ms(10_750)), Freshness::RefreshAhead);
        assert_eq!(e.freshness(ms(10_999)), Freshness::RefreshAhead);
        assert_eq!(e.freshness(ms(11_000)), Freshness::Stale);
        // A clock reading older than the check (taken before another thread's query).
        assert_eq!(e.freshness(ms(9_000)), Freshness::Fresh);

        let claim = e.begin_refresh().expect("first claim");
        assert!(e.begin_refresh().is_none(), "only one refresher at a time");
        drop(claim);
        assert!(e.begin_refresh().is_some(), "released on drop");

        e.mark_checked(ms(10_900));
        assert_eq!(e.freshness(ms(11_000)), Freshness::Fresh);
        e.mark_checked(ms(10_100)); // an older query finishing late never moves it back
        assert_eq!(e.freshness(ms(11_000)), Freshness::Fresh);
        assert_eq!(e.freshness(ms(11_900)), Freshness::Stale);
    }

    #[test]
    fn put_after_a_local_write_is_dropped() {
        let cache = TimestampCache::default();
        let epoch = cache.epoch();
        cache.remove("g");
        cache.put("g", entry(monotonic_nanos()), epoch);
        assert!(cache.get("g").is_none());
        cache.put("g", entry(monotonic_nanos()), cache.epoch());
        assert!(cache.get("g").is_some());
    }
}

//! Reads (spec-server §4): the current file of a role resolved through timestamp → snapshot →
//! checksum, files by version and by checksum, and the hot `timestamp.json` path served from
//! [`super::cache`], re-signed when it or its snapshot has expired ([`super::regenerate`]).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use notary_tuf::data::RoleName;

use super::cache::{self, CachedTimestamp, Freshness};
use super::chain::{self, Chain, ChainError, Wanted};
use super::regenerate::Regenerated;
use super::{File, TrustError, TrustService};
use crate::gun::Gun;

/// A lost race (another writer inserted the same versions) is followed by a re-read; this
/// many rounds at most.
const REGENERATION_ROUNDS: usize = 4;

/// The current timestamp and the snapshot checksum it names.
struct CurrentTimestamp {
    file: File,
    snapshot_sha256: Arc<str>,
    /// The chain read for it, when it was not served from memory.
    chain: Option<Chain>,
}

impl From<ChainError> for TrustError {
    fn from(e: ChainError) -> Self {
        match e {
            ChainError::NoTimestamp => TrustError::NotFound,
            ChainError::Store(e) => e.into(),
            corrupt @ ChainError::Corrupt { .. } => TrustError::internal(corrupt),
        }
    }
}

impl TrustService {
    /// Resolves the chain of `gun` with `roles`, on one connection.
    pub(super) async fn chain(&self, gun: &Gun, roles: Vec<String>) -> Result<Chain, ChainError> {
        self.store
            .read("current_chain", gun.as_str(), move |rows| {
                let roles: Vec<&str> = roles.iter().map(String::as_str).collect();
                chain::resolve(rows, Wanted::Roles(&roles))
            })
            .await
    }

    /// The current file of a role. Timestamp and snapshot go through the timestamp procedure
    /// (expired files are re-signed first); `root`, `targets` and delegations are the versions
    /// the current snapshot names (a role it does not list is [`TrustError::NotFound`]).
    pub async fn current(&self, gun: &Gun, role: &RoleName) -> Result<File, TrustError> {
        match role {
            RoleName::Timestamp => Ok(self.current_timestamp(gun).await?.file),
            RoleName::Snapshot => self.current_snapshot(gun).await,
            role => {
                // Empty when the snapshot is missing or does not list the role.
                let chain = self.chain(gun, vec![role.as_str().to_string()]).await?;
                chain
                    .roles
                    .into_iter()
                    .next()
                    .map(|(_, f)| File::from_row(f))
                    .ok_or(TrustError::NotFound)
            }
        }
    }

    /// A role's file by version (versions start at 1).
    pub async fn by_version(
        &self,
        gun: &Gun,
        role: &RoleName,
        version: i32,
    ) -> Result<File, TrustError> {
        if version < 1 {
            return Err(TrustError::NotFound);
        }
        let row = self
            .store
            .by_version(gun.as_str(), role.as_str(), version)
            .await?;
        Ok(File::from_row(row))
    }

    /// A role's file by the lower-case or upper-case hex sha256 of its bytes.
    pub async fn by_checksum(
        &self,
        gun: &Gun,
        role: &RoleName,
        sha256_hex: &str,
    ) -> Result<File, TrustError> {
        let row = self
            .store
            .by_checksum(gun.as_str(), role.as_str(), sha256_hex)
            .await?;
        Ok(File::from_row(row))
    }

    async fn current_snapshot(&self, gun: &Gun) -> Result<File, TrustError> {
        let ts = self.current_timestamp(gun).await?;
        // The chain just read (or regenerated) already holds the snapshot.
        if let Some(snap) = ts.chain.and_then(|c| c.snapshot) {
            return Ok(File::from_row(snap.row));
        }
        let row = self
            .store
            .by_checksum(gun.as_str(), "snapshot", &ts.snapshot_sha256)
            .await?;
        Ok(File::from_row(row))
    }

    /// The current timestamp, from memory when nothing changed (see [`super::cache`]),
    /// re-signed when it or its snapshot has expired.
    async fn current_timestamp(&self, gun: &Gun) -> Result<CurrentTimestamp, TrustError> {
        if let Some(e) = self.cache.get(gun.as_str()) {
            if self.now() < e.fresh_until && self.confirmed(gun, &e).await {
                self.metrics
                    .timestamp_cache_hits
                    .fetch_add(1, Ordering::Relaxed);
                return Ok(CurrentTimestamp {
                    file: e.file.clone(),
                    snapshot_sha256: e.snapshot_sha256.clone(),
                    chain: None,
                });
            }
            self.cache.remove(gun.as_str());
        }
        self.metrics
            .timestamp_cache_misses
            .fetch_add(1, Ordering::Relaxed);

        for _ in 0..REGENERATION_ROUNDS {
            let epoch = self.cache.epoch();
            let read_at = cache::monotonic_nanos();
            let chain = self.chain(gun, Vec::new()).await?;
            let Some(snap) = &chain.snapshot else {
                return Err(TrustError::NotFound);
            };
            let ts = &chain.timestamp;
            let now = self.now();
            if snap.view.expires > now
                && ts.view.expires > now
                && ts.view.names_snapshot(&snap.row.data)
            {
                let file = File::from_row(ts.row.clone());
                let snapshot_sha256: Arc<str> =
                    ts.view.snapshot_sha256_hex().unwrap_or_default().into();
                self.cache.put(
                    gun.as_str(),
                    CachedTimestamp::new(
                        file.clone(),
                        snapshot_sha256.clone(),
                        ts.row.id,
                        ts.view.expires.min(snap.view.expires),
                        read_at,
                    ),
                    epoch,
                );
                return Ok(CurrentTimestamp {
                    file,
                    snapshot_sha256,
                    chain: Some(chain),
                });
            }
            match self.regenerate(gun, &chain, now).await? {
                Regenerated::Done {
                    timestamp,
                    snapshot,
                } => {
                    return Ok(CurrentTimestamp {
                        file: timestamp,
                        snapshot_sha256: snapshot.sha256_hex.clone(),
                        chain: None,
                    })
                }
                Regenerated::Raced => continue,
            }
        }
        Err(TrustError::internal("timestamp regeneration kept racing"))
    }

    /// Whether a cached entry may be served: recently confirmed, or confirmed now by the
    /// database (see [`super::cache`] for the refresh-ahead rule). `false` means the entry is
    /// outdated or the check failed; the caller drops it and reads the database.
    async fn confirmed(&self, gun: &Gun, e: &CachedTimestamp) -> bool {
        let check = || async {
            let started = cache::monotonic_nanos();
            match self.store.timestamp_marker(gun.as_str()).await {
                Ok(Some((id, _))) if id == e.row_id => {
                    e.mark_checked(started);
                    true
                }
                _ => false,
            }
        };
        match e.freshness(cache::monotonic_nanos()) {
            Freshness::Fresh => true,
            Freshness::RefreshAhead => match e.begin_refresh() {
                // This request confirms the entry for everyone; the others serve it meanwhile.
                Some(_claim) => check().await,
                None => true,
            },
            Freshness::Stale => check().await,
        }
    }
}

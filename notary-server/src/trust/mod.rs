//! The trust service: everything the server decides about TUF metadata, apart from HTTP.
//!
//! [`TrustService`] owns the store, the signer, the timestamp cache, the clock and the
//! lifetimes of generated metadata. Its operations take parsed inputs ([`Gun`],
//! [`RoleName`](notary_tuf::data::RoleName), uploads) and return [`File`]s or a
//! [`TrustError`]; the HTTP layer (`crate::http`) maps those to status codes and headers.
//!
//! | module | behaviour |
//! |---|---|
//! | [`chain`] | the one resolver of the current chain timestamp → snapshot → roles |
//! | [`reads`] | current / versioned / checksummed reads, the cached timestamp path |
//! | [`regenerate`] | lazy re-signing of an expired timestamp or snapshot |
//! | [`publish`] | the atomic update pipeline |
//! | [`signing`] | signing a [`notary_tuf::validation::ToSign`] through the signer |
//! | [`server_keys`] | the timestamp/snapshot key endpoints |
//! | [`cache`] | the in-memory current timestamps |

pub mod cache;
pub mod chain;
mod error;
mod file;
pub mod publish;
pub mod reads;
pub mod regenerate;
pub mod server_keys;
pub mod signing;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use notary_tuf::validation::{Lifetimes, MetaFile};

pub use error::TrustError;
pub use file::File;

use crate::gun::Gun;
use crate::metrics::Metrics;
use crate::signer::CryptoService;
use crate::storage::{Change, NewFile, Store};

/// Files to store as rows. `Err(version)` when a version does not fit the `int` column.
fn rows(files: Vec<MetaFile>) -> Result<Vec<NewFile>, i64> {
    files
        .into_iter()
        .map(|f| {
            Ok(NewFile {
                role: f.role.as_str().to_string(),
                version: i32::try_from(f.version).map_err(|_| f.version)?,
                data: f.bytes,
            })
        })
        .collect()
}

/// Where "now" comes from (a fixed or stepped clock in tests).
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// What the trust service is configured with besides its collaborators.
#[derive(Debug, Clone, Default)]
pub struct TrustSettings {
    /// Algorithm for new server keys (`trust_service.key_algorithm`).
    pub key_algorithm: String,
    /// Lifetimes of generated timestamps and snapshots.
    pub lifetimes: Lifetimes,
}

/// The server's trust logic with its store, signer, cache and clock.
pub struct TrustService {
    store: Store,
    signer: Arc<dyn CryptoService>,
    cache: cache::TimestampCache,
    clock: Arc<dyn Clock>,
    settings: TrustSettings,
    metrics: Arc<Metrics>,
}

/// Result of the dependency checks behind the health endpoints.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Health {
    /// Why the database check failed, if it did.
    pub db: Option<String>,
    /// Why the signer check failed, if it did.
    pub signer: Option<String>,
}

impl TrustService {
    /// A service over these collaborators.
    pub fn new(
        store: Store,
        signer: Arc<dyn CryptoService>,
        clock: Arc<dyn Clock>,
        settings: TrustSettings,
        metrics: Arc<Metrics>,
    ) -> TrustService {
        TrustService {
            store,
            signer,
            cache: cache::TimestampCache::default(),
            clock,
            settings,
            metrics,
        }
    }

    /// The process metrics this service reports into.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Deletes every version of every role of `gun` (recording a changefeed `deletion` when
    /// anything was removed). Returns whether anything was removed.
    pub async fn delete(&self, gun: &Gun) -> Result<bool, TrustError> {
        let removed = self.store.delete(gun.as_str()).await;
        self.cache.remove(gun.as_str());
        let removed = removed.map_err(TrustError::from)?;
        tracing::info!(gun = %gun, removed, "deleted trust data");
        Ok(removed)
    }

    /// A changefeed page (see [`Store::changes`]).
    pub async fn changes(
        &self,
        change_id: i64,
        records: i64,
        gun: Option<&Gun>,
    ) -> Result<Vec<Change>, TrustError> {
        Ok(self
            .store
            .changes(change_id, records, gun.map(|g| g.as_str().to_string()))
            .await?)
    }

    /// Checks the database and the signer now, each bounded by `timeout`.
    pub async fn health(&self, timeout: std::time::Duration) -> Health {
        let (db, signer) = futures::join!(
            tokio::time::timeout(timeout, self.store.check()),
            tokio::time::timeout(timeout, self.signer.check_health()),
        );
        Health {
            db: match db {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(e.to_string()),
                Err(_) => Some("timed out".into()),
            },
            signer: match signer {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(e),
                Err(_) => Some("timed out".into()),
            },
        }
    }

    /// The earliest `expires` among the current timestamps of all GUNs (one grouped query,
    /// see [`Store::min_over_current_timestamps`]); `None` when there is no repository or the
    /// query fails or takes longer than `timeout`.
    pub async fn soonest_timestamp_expiry(
        &self,
        timeout: std::time::Duration,
    ) -> Option<DateTime<Utc>> {
        let query = self.store.min_over_current_timestamps(|d| {
            notary_tuf::view::TimestampView::parse(d)
                .ok()
                .map(|t| t.expires)
        });
        match tokio::time::timeout(timeout, query).await {
            Ok(Ok(t)) => t,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "cannot read timestamp expiries for metrics");
                None
            }
            Err(_) => {
                tracing::warn!("reading timestamp expiries for metrics timed out");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests;

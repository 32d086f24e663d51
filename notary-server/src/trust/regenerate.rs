//! Lazy re-signing on read (spec-server §4.3): when the current snapshot or timestamp has
//! expired, notary-tuf decides what to sign after fully validating the current root, the
//! signer signs, and both files are stored in one transaction. Safe when several replicas
//! race: the loser of the insert re-reads and serves the winner's timestamp.

use std::sync::atomic::Ordering;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use notary_tuf::validation::{self, Moment};

use super::chain::Chain;
use super::{File, TrustError, TrustService};
use crate::gun::Gun;
use crate::storage::StoreError;

/// Outcome of a regeneration.
pub enum Regenerated {
    /// The new (or, if nothing needed signing after all, the stored) timestamp and the
    /// snapshot it names.
    Done {
        /// The timestamp to serve.
        timestamp: File,
        /// The snapshot it names.
        snapshot: File,
    },
    /// Another writer stored these versions first: read again.
    Raced,
}

impl TrustService {
    /// Re-signs the snapshot (if expired) and the timestamp of `chain`, which must have a
    /// snapshot.
    pub(super) async fn regenerate(
        &self,
        gun: &Gun,
        chain: &Chain,
        now: DateTime<Utc>,
    ) -> Result<Regenerated, TrustError> {
        let snap = chain
            .snapshot
            .as_ref()
            .ok_or_else(|| TrustError::internal("no snapshot to regenerate from"))?;
        let root_sha = snap
            .view
            .role_sha256_hex("root")
            .ok_or_else(|| TrustError::internal("snapshot does not list root"))?;
        let root = self
            .store
            .by_checksum(gun.as_str(), "root", &root_sha)
            .await
            .map_err(TrustError::internal)?;
        let at = Moment {
            now,
            lifetimes: self.settings.lifetimes,
        };
        let internal = |e: validation::ValidationError| TrustError::internal(e.msg());

        let mut files = Vec::new();
        let mut snapshot = File::from_row(snap.row.clone());
        let resign = validation::snapshot_to_resign(gun.as_str(), &root.data, &snap.row.data, at)
            .map_err(internal)?;
        let snapshot_resigned = resign.is_some();
        if let Some(t) = resign {
            let f = self.sign(&t).await.map_err(TrustError::internal)?;
            snapshot = File::new(Bytes::from(f.bytes.clone()), now);
            files.push(f);
        }
        let resign = validation::timestamp_to_resign(
            gun.as_str(),
            &root.data,
            &snapshot.bytes,
            &chain.timestamp.row.data,
            at,
        )
        .map_err(internal)?;
        let Some(t) = resign else {
            // Nothing to re-sign after all (e.g. the clock moved): serve what is stored.
            return Ok(Regenerated::Done {
                timestamp: File::from_row(chain.timestamp.row.clone()),
                snapshot,
            });
        };
        let ts = self.sign(&t).await.map_err(TrustError::internal)?;
        let timestamp = File::new(Bytes::from(ts.bytes.clone()), now);
        files.push(ts);
        let rows = super::rows(files).map_err(|_| TrustError::internal("version overflow"))?;
        match self.store.update_many(gun.as_str(), rows).await {
            Ok(()) => {}
            Err(StoreError::OldVersion) => return Ok(Regenerated::Raced),
            Err(e) => return Err(TrustError::internal(e)),
        }
        self.cache.remove(gun.as_str());
        self.metrics
            .timestamp_regenerations
            .fetch_add(1, Ordering::Relaxed);
        if snapshot_resigned {
            self.metrics
                .snapshot_regenerations
                .fetch_add(1, Ordering::Relaxed);
        }
        Ok(Regenerated::Done {
            timestamp,
            snapshot,
        })
    }
}

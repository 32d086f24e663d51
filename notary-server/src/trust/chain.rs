//! The one resolver of a GUN's current chain (spec-server §4.2): the newest timestamp, the
//! snapshot it names by checksum, and each wanted role at the checksum that snapshot lists.
//! Every file is decoded once ([`notary_tuf::view`]) and the rows come from one
//! [`ChainRows`] source: a database connection on the request path
//! ([`crate::storage::Store::read`]), or rows already in memory (operator commands).

use notary_tuf::view::{SnapshotView, TimestampView};

use crate::storage::{GunFile, Reader, StoreError, StoredFile};

/// Where the resolver reads rows from.
pub trait ChainRows {
    /// The GUN's newest live timestamp row.
    fn newest_timestamp(&mut self) -> Result<Option<StoredFile>, StoreError>;
    /// The live row of `role` whose bytes hash to `sha256` (lower-case hex).
    fn by_checksum(&mut self, role: &str, sha256: &str) -> Result<Option<StoredFile>, StoreError>;
}

/// A stored file with its decoded view.
#[derive(Debug, Clone)]
pub struct Decoded<V> {
    /// The row.
    pub row: StoredFile,
    /// What it says.
    pub view: V,
}

/// The resolved current chain.
#[derive(Debug, Clone)]
pub struct Chain {
    /// The newest timestamp.
    pub timestamp: Decoded<TimestampView>,
    /// The snapshot the timestamp names; `None` when no stored row has that checksum.
    pub snapshot: Option<Decoded<SnapshotView>>,
    /// The wanted roles present at the checksums the snapshot lists, in the order asked.
    pub roles: Vec<(String, StoredFile)>,
}

/// Which roles to resolve besides timestamp and snapshot.
#[derive(Debug, Clone, Copy)]
pub enum Wanted<'a> {
    /// These roles.
    Roles(&'a [&'a str]),
    /// Every role the snapshot lists.
    All,
}

/// Why there is no chain.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The GUN has no timestamp.
    #[error("no timestamp")]
    NoTimestamp,
    /// A stored file on the chain cannot be decoded, or the timestamp names no snapshot.
    #[error("corrupt stored {role}: {msg}")]
    Corrupt {
        /// Which file.
        role: &'static str,
        /// What is wrong with it.
        msg: String,
    },
    /// Reading a row failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Resolves the chain from `rows`.
pub fn resolve(rows: &mut dyn ChainRows, wanted: Wanted<'_>) -> Result<Chain, ChainError> {
    let ts_row = rows.newest_timestamp()?.ok_or(ChainError::NoTimestamp)?;
    let ts = TimestampView::parse(&ts_row.data).map_err(|e| ChainError::Corrupt {
        role: "timestamp",
        msg: e.to_string(),
    })?;
    let snap_sha = ts.snapshot_sha256_hex().ok_or(ChainError::Corrupt {
        role: "timestamp",
        msg: "no snapshot sha256".into(),
    })?;
    let timestamp = Decoded {
        row: ts_row,
        view: ts,
    };
    let Some(snap_row) = rows.by_checksum("snapshot", &snap_sha)? else {
        return Ok(Chain {
            timestamp,
            snapshot: None,
            roles: Vec::new(),
        });
    };
    let snap = SnapshotView::parse(&snap_row.data).map_err(|e| ChainError::Corrupt {
        role: "snapshot",
        msg: e.to_string(),
    })?;
    let listed: Vec<String> = match wanted {
        Wanted::Roles(r) => r.iter().map(|r| r.to_string()).collect(),
        Wanted::All => snap.meta.keys().cloned().collect(),
    };
    let mut roles = Vec::new();
    for role in listed {
        if let Some(sha) = snap.role_sha256_hex(&role) {
            if let Some(f) = rows.by_checksum(&role, &sha)? {
                roles.push((role, f));
            }
        }
    }
    Ok(Chain {
        timestamp,
        snapshot: Some(Decoded {
            row: snap_row,
            view: snap,
        }),
        roles,
    })
}

/// Rows of one GUN already in memory (operator commands read them all at once).
pub struct InMemoryRows<'a>(pub &'a [GunFile]);

impl InMemoryRows<'_> {
    fn live(&self) -> impl Iterator<Item = &GunFile> {
        self.0.iter().filter(|f| !f.deleted && !f.data.is_empty())
    }
}

fn stored(f: &GunFile) -> StoredFile {
    StoredFile {
        id: f.id,
        version: f.version,
        created_at: f.created_at.unwrap_or_default(),
        sha256: f.sha256.clone(),
        data: f.data.clone(),
    }
}

impl ChainRows for InMemoryRows<'_> {
    fn newest_timestamp(&mut self) -> Result<Option<StoredFile>, StoreError> {
        Ok(self
            .live()
            .filter(|f| f.role == "timestamp")
            .max_by_key(|f| f.version)
            .map(stored))
    }

    fn by_checksum(&mut self, role: &str, sha256: &str) -> Result<Option<StoredFile>, StoreError> {
        Ok(self
            .live()
            .find(|f| f.role == role && f.sha256.as_deref() == Some(sha256))
            .map(stored))
    }
}

impl ChainRows for Reader<'_> {
    fn newest_timestamp(&mut self) -> Result<Option<StoredFile>, StoreError> {
        Reader::newest_timestamp(self)
    }

    fn by_checksum(&mut self, role: &str, sha256: &str) -> Result<Option<StoredFile>, StoreError> {
        Reader::by_checksum(self, role, sha256)
    }
}

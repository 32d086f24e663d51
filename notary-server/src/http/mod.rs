//! The HTTP edge: the route table, request parsing, and every mapping of results to status
//! codes, Go error codes, envelopes and headers. Trust decisions live in [`crate::trust`].
//!
//! | module | behaviour |
//! |---|---|
//! | [`routes`] | the one route table (method, pattern, operation, scope, GUN, metered) |
//! | [`dispatch`] | the handler of every request: route, parse, call the service, respond |
//! | [`response`] | metadata responses: `ETag`, `Last-Modified`, `Cache-Control`, 304 |
//! | [`upload`] | the publish body: multipart parts → uploads |
//! | [`multipart`] | the multipart stream parser |
//! | [`changefeed`] | changefeed query parameters and JSON |
//! | [`error`] | the Go error-code table, envelopes, and `TrustError` → response |

pub mod changefeed;
pub mod dispatch;
pub mod error;
pub mod multipart;
pub mod response;
pub mod routes;
pub mod upload;

use std::sync::Arc;

use crate::gun::GunPolicy;
use crate::metrics::Metrics;
use crate::trust::TrustService;

/// `caching.max_age`: `Cache-Control` lifetimes in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheConfig {
    /// For current metadata (`<role>.json`); 0 disables caching.
    pub current_metadata: u32,
    /// For metadata by version or checksum (immutable).
    pub consistent_metadata: u32,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            current_metadata: 300,
            consistent_metadata: 2_592_000,
        }
    }
}

/// Limits on untrusted input (our own keys under `server`, not in the Go config).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest accepted request body (413 above it).
    pub max_body_bytes: usize,
    /// Most multipart parts accepted in one publish (400 above it).
    pub max_parts: usize,
    /// Longest accepted GUN in bytes (the Go schema's column is varchar(255)).
    pub max_gun_len: usize,
    /// Publishes read and processed at once; more wait for a slot (each buffers its body).
    pub max_concurrent_publishes: usize,
    /// How long a publish waits for a slot before it is answered 503 with `Retry-After`.
    pub publish_queue_timeout: std::time::Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 128 * 1024 * 1024,
            max_parts: 1024,
            max_gun_len: 255,
            max_concurrent_publishes: 8,
            publish_queue_timeout: std::time::Duration::from_secs(10),
        }
    }
}

/// Everything a request handler needs.
pub struct HttpState {
    /// The trust logic.
    pub trust: TrustService,
    /// The compiled route table.
    pub router: routes::Router,
    /// Which GUNs this server accepts.
    pub guns: GunPolicy,
    /// `Cache-Control` values.
    pub cache: response::CacheHeaders,
    /// Input limits.
    pub limits: Limits,
    /// Slots for publishes in progress (`limits.max_concurrent_publishes`).
    pub publishes: tokio::sync::Semaphore,
    /// Process metrics (shared with the trust service and storage).
    pub metrics: Arc<Metrics>,
}

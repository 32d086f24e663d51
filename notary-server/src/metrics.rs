//! Prometheus text exposition for `/metrics`. Labels are operation names from the route table
//! (never raw GUNs), so cardinality is fixed.
//!
//! Hand-written: a handful of counters and histograms does not justify a metrics framework, and
//! the exposition format is a few lines of text.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};

const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, secs: f64) {
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                self.counts[i] += 1;
            }
        }
        self.count += 1;
        self.sum += secs;
    }
}

/// A histogram updated with atomics only (the storage layer observes every query, also on the
/// cached hot path, so no lock is taken per observation). Buckets are stored per interval and
/// made cumulative when rendered.
#[derive(Default)]
struct AtomicHistogram {
    /// Observations per bucket interval; the last slot is above the largest bound.
    counts: [AtomicU64; BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
}

impl AtomicHistogram {
    fn observe(&self, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        let slot = BUCKETS
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(BUCKETS.len());
        self.counts[slot].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    fn snapshot(&self) -> Histogram {
        let mut h = Histogram::default();
        let mut cumulative = 0;
        for (i, c) in self.counts.iter().enumerate() {
            cumulative += c.load(Ordering::Relaxed);
            if i < BUCKETS.len() {
                h.counts[i] = cumulative;
            }
        }
        h.count = cumulative;
        h.sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        h
    }
}

/// Latency histograms labelled by a fixed operation name (storage operations): the label set is
/// the set of names in the code, never request data.
#[derive(Default)]
pub struct OpHistograms {
    ops: RwLock<BTreeMap<&'static str, Arc<AtomicHistogram>>>,
}

impl OpHistograms {
    pub fn observe(&self, op: &'static str, elapsed: Duration) {
        let existing = self.ops.read().ok().and_then(|m| m.get(op).cloned());
        let h = match existing {
            Some(h) => h,
            None => match self.ops.write() {
                Ok(mut m) => m.entry(op).or_default().clone(),
                Err(_) => return,
            },
        };
        h.observe(elapsed);
    }

    fn snapshot(&self) -> Vec<(&'static str, Histogram)> {
        match self.ops.read() {
            Ok(m) => m.iter().map(|(op, h)| (*op, h.snapshot())).collect(),
            Err(_) => Vec::new(),
        }
    }
}

/// The soonest `notAfter` among the certificates of a PEM file (for a chain file that is
/// normally the leaf). `None`, with a warning, when the file cannot be read or holds no
/// parsable certificate: the gauge is then left out rather than stopping the server.
pub fn pem_not_after(path: &Path) -> Option<DateTime<Utc>> {
    use x509_parser::prelude::{FromDer, X509Certificate};
    let text = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "cannot read certificate for expiry metrics");
            return None;
        }
    };
    let blocks = pem::parse_many(&text).unwrap_or_default();
    let soonest = blocks
        .iter()
        .filter(|b| b.tag() == "CERTIFICATE")
        .filter_map(|b| X509Certificate::from_der(b.contents()).ok())
        .filter_map(|(_, c)| DateTime::from_timestamp(c.validity().not_after.timestamp(), 0))
        .min();
    if soonest.is_none() {
        tracing::warn!(path = %path.display(), "no certificate found for expiry metrics");
    }
    soonest
}

/// Days from `now` to `t` (negative once `t` has passed).
fn days_until(t: DateTime<Utc>, now: DateTime<Utc>) -> f64 {
    (t - now).num_milliseconds() as f64 / 86_400_000.0
}

/// Process-wide metrics.
#[derive(Default)]
pub struct Metrics {
    /// (operation, status) → request count.
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
    /// operation → latency.
    latency: Mutex<BTreeMap<&'static str, Histogram>>,
    /// signer RPC latency.
    signer: Mutex<Histogram>,
    pub publishes: AtomicU64,
    pub timestamp_regenerations: AtomicU64,
    pub timestamp_cache_hits: AtomicU64,
    pub timestamp_cache_misses: AtomicU64,
    /// Expired snapshots re-signed on read.
    pub snapshot_regenerations: AtomicU64,
    /// Storage latency by operation (shared with [`crate::storage::Store`]).
    pub db: Arc<OpHistograms>,
    /// `notAfter` of `server.tls_cert_file` (soonest in the chain), read at startup.
    pub tls_cert_not_after: Option<DateTime<Utc>>,
    /// `notAfter` of `trust_service.tls_client_cert` (soonest in the chain).
    pub signer_client_cert_not_after: Option<DateTime<Utc>>,
    /// `notAfter` of the soonest-expiring certificate in `trust_service.tls_ca_file`.
    pub signer_ca_not_after: Option<DateTime<Utc>>,
}

impl Metrics {
    pub fn observe_request(&self, operation: &'static str, status: u16, elapsed: Duration) {
        if let Ok(mut m) = self.requests.lock() {
            *m.entry((operation, status)).or_default() += 1;
        }
        if let Ok(mut m) = self.latency.lock() {
            m.entry(operation)
                .or_default()
                .observe(elapsed.as_secs_f64());
        }
    }

    pub fn observe_signer(&self, elapsed: Duration) {
        if let Ok(mut h) = self.signer.lock() {
            h.observe(elapsed.as_secs_f64());
        }
    }

    /// The exposition text. `soonest_timestamp_expiry` is the earliest `expires` among the
    /// current timestamps of all GUNs, looked up by the caller at scrape time (`None`: no
    /// repository, or the lookup failed; the gauge then has no sample).
    pub fn render(&self, soonest_timestamp_expiry: Option<DateTime<Utc>>) -> String {
        let mut out = String::new();
        out.push_str("# HELP notary_server_http_requests_total HTTP requests by operation and status.\n# TYPE notary_server_http_requests_total counter\n");
        if let Ok(m) = self.requests.lock() {
            for ((op, status), n) in m.iter() {
                let _ = writeln!(
                    out,
                    "notary_server_http_requests_total{{operation=\"{op}\",code=\"{status}\"}} {n}"
                );
            }
        }
        out.push_str("# HELP notary_server_http_request_duration_seconds HTTP request latency by operation.\n# TYPE notary_server_http_request_duration_seconds histogram\n");
        if let Ok(m) = self.latency.lock() {
            for (op, h) in m.iter() {
                write_histogram(
                    &mut out,
                    "notary_server_http_request_duration_seconds",
                    &format!("operation=\"{op}\","),
                    h,
                );
            }
        }
        out.push_str("# HELP notary_server_signer_rpc_duration_seconds Signer RPC latency.\n# TYPE notary_server_signer_rpc_duration_seconds histogram\n");
        if let Ok(h) = self.signer.lock() {
            write_histogram(
                &mut out,
                "notary_server_signer_rpc_duration_seconds",
                "",
                &h,
            );
        }
        out.push_str("# HELP notary_server_db_duration_seconds Storage latency by operation (including the wait for a pooled connection).\n# TYPE notary_server_db_duration_seconds histogram\n");
        for (op, h) in self.db.snapshot() {
            write_histogram(
                &mut out,
                "notary_server_db_duration_seconds",
                &format!("op=\"{op}\","),
                &h,
            );
        }
        for (name, help, v) in [
            (
                "notary_server_publishes_total",
                "Successful publishes.",
                &self.publishes,
            ),
            (
                "notary_server_timestamp_regenerations_total",
                "Timestamps re-signed on read.",
                &self.timestamp_regenerations,
            ),
            (
                "notary_server_snapshot_regenerations_total",
                "Expired snapshots re-signed on read.",
                &self.snapshot_regenerations,
            ),
            (
                "notary_server_timestamp_cache_hits_total",
                "Current timestamp served from memory.",
                &self.timestamp_cache_hits,
            ),
            (
                "notary_server_timestamp_cache_misses_total",
                "Current timestamp read from the database.",
                &self.timestamp_cache_misses,
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                v.load(Ordering::Relaxed)
            );
        }
        let now = Utc::now();
        for (name, help, t) in [
            (
                "notary_server_tls_cert_expiry_days",
                "Days until the server's TLS certificate (soonest in server.tls_cert_file) expires.",
                self.tls_cert_not_after,
            ),
            (
                "notary_server_signer_client_cert_expiry_days",
                "Days until the mTLS client certificate for notary-signer (trust_service.tls_client_cert) expires.",
                self.signer_client_cert_not_after,
            ),
            (
                "notary_server_signer_ca_expiry_days",
                "Days until the soonest certificate in trust_service.tls_ca_file expires.",
                self.signer_ca_not_after,
            ),
            (
                "notary_server_timestamp_expiry_days",
                "Days until the soonest-expiring current timestamp of any repository expires (negative: expired, re-signed on next read).",
                soonest_timestamp_expiry,
            ),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
            if let Some(t) = t {
                let _ = writeln!(out, "{name} {}", days_until(t, now));
            }
        }
        out
    }
}

fn write_histogram(out: &mut String, name: &str, labels: &str, h: &Histogram) {
    for (i, b) in BUCKETS.iter().enumerate() {
        let _ = writeln!(out, "{name}_bucket{{{labels}le=\"{b}\"}} {}", h.counts[i]);
    }
    let _ = writeln!(out, "{name}_bucket{{{labels}le=\"+Inf\"}} {}", h.count);
    let trimmed = labels.trim_end_matches(',');
    let braces = if trimmed.is_empty() {
        String::new()
    } else {
        format!("{{{trimmed}}}")
    };
    let _ = writeln!(out, "{name}_sum{braces} {}", h.sum);
    let _ = writeln!(out, "{name}_count{braces} {}", h.count);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_histograms_render_cumulative_buckets() {
        let m = Metrics::default();
        m.db.observe("by_version", Duration::from_micros(300));
        m.db.observe("by_version", Duration::from_millis(30));
        m.db.observe("by_version", Duration::from_secs(6));
        let text = m.render(None);
        for (le, n) in [
            ("0.0005", 1),
            ("0.025", 1),
            ("0.05", 2),
            ("5", 2),
            ("+Inf", 3),
        ] {
            let line = format!(
                "notary_server_db_duration_seconds_bucket{{op=\"by_version\",le=\"{le}\"}} {n}\n"
            );
            assert!(text.contains(&line), "{line} in {text}");
        }
        assert!(text.contains("notary_server_db_duration_seconds_count{op=\"by_version\"} 3\n"));
        assert!(text.contains("notary_server_db_duration_seconds_sum{op=\"by_version\"} 6.0303\n"));
        // No certificate configured and no repository: gauges without samples.
        assert!(text.contains("# TYPE notary_server_tls_cert_expiry_days gauge\n"));
        assert!(!text.contains("\nnotary_server_tls_cert_expiry_days "));
        assert!(!text.contains("\nnotary_server_timestamp_expiry_days "));
    }

    #[test]
    fn expiry_gauges_count_days_from_now() {
        let m = Metrics {
            tls_cert_not_after: Some(Utc::now() + chrono::Duration::days(30)),
            ..Metrics::default()
        };
        let text = m.render(Some(Utc::now() - chrono::Duration::hours(12)));
        let value = |name: &str| -> f64 {
            let prefix = format!("\n{name} ");
            let at = text.find(&prefix).unwrap() + prefix.len();
            text[at..].lines().next().unwrap().parse().unwrap()
        };
        let tls = value("notary_server_tls_cert_expiry_days");
        assert!((29.99..=30.0).contains(&tls), "{tls}");
        let ts = value("notary_server_timestamp_expiry_days");
        assert!((-0.51..=-0.49).contains(&ts), "{ts}");
    }

    #[test]
    fn pem_not_after_takes_the_soonest_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let pki = notary_devcerts::generate(dir.path()).unwrap();
        let leaf = pem_not_after(&pki.server_cert).unwrap();
        let ca = pem_not_after(&pki.ca_bundle).unwrap();
        let days = |t: DateTime<Utc>| days_until(t, Utc::now());
        assert!((824.0..=825.0).contains(&days(leaf)), "{}", days(leaf));
        assert!((3649.0..=3650.0).contains(&days(ca)), "{}", days(ca));
        assert!(pem_not_after(&dir.path().join("missing.pem")).is_none());
        std::fs::write(dir.path().join("junk.pem"), "not a pem").unwrap();
        assert!(pem_not_after(&dir.path().join("junk.pem")).is_none());
    }
}

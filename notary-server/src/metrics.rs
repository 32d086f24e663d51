//! Prometheus text exposition for `/metrics`. Labels are operation names from the route table
//! (never raw GUNs), so cardinality is fixed.
//!
//! Hand-written: a handful of counters and histograms does not justify a metrics framework, and
//! the exposition format is a few lines of text.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

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

    /// The exposition text.
    pub fn render(&self) -> String {
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

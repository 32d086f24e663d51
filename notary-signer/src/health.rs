//! `grpc.health.v1.Health` with the entries the Go signer registers (`""`,
//! `grpc.health.v1.Health.KeyManagement`, `grpc.health.v1.Health.Signer`), kept truthful by a
//! background database probe: NOT_SERVING while `private_keys` cannot be queried.

use std::time::Duration;

use notary_proto::health_names;
use tonic_health::server::HealthReporter;
use tonic_health::ServingStatus;

use crate::storage::Store;

/// Interval between database probes.
pub const PROBE_INTERVAL: Duration = Duration::from_secs(1);

/// Sets every signer health entry to `status`.
pub async fn set_all(reporter: &HealthReporter, status: ServingStatus) {
    for name in ["", health_names::KEY_MANAGEMENT, health_names::SIGNER] {
        reporter.set_service_status(name, status).await;
    }
}

/// Probes the store forever, updating the health entries when the result changes.
pub async fn probe_loop(store: Store, reporter: HealthReporter) {
    let mut last = None;
    loop {
        let store2 = store.clone();
        let ok = matches!(
            tokio::time::timeout(
                Duration::from_secs(3),
                tokio::task::spawn_blocking(move || store2.probe(Duration::from_millis(900))),
            )
            .await,
            Ok(Ok(Ok(())))
        );
        if last != Some(ok) {
            if ok {
                tracing::info!("database reachable: SERVING");
            } else {
                tracing::warn!("database unreachable: NOT_SERVING");
            }
            let status = if ok {
                ServingStatus::Serving
            } else {
                ServingStatus::NotServing
            };
            set_all(&reporter, status).await;
            last = Some(ok);
        }
        tokio::time::sleep(PROBE_INTERVAL).await;
    }
}

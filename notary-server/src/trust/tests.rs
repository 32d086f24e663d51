//! The trust logic without processes: an in-memory SQLite store, a fake signer holding test
//! keys, and a clock the test moves.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use notary_tuf::data::RoleName;
use notary_tuf::validation::testutil::{upload, TestKey, TestRepo};
use notary_tuf::validation::Lifetimes;
use notary_tuf::view::TimestampView;

use super::chain::{self, ChainError, InMemoryRows, Wanted};
use super::*;
use crate::signer::{KeyRequest, SignerError, SignerKey};
use crate::storage::{GunFile, StorageConfig};

/// Holds the private halves of some test keys; can be made unreachable; can hold every
/// signing call until `n` have arrived (to line up two racing requests).
#[derive(Default)]
struct FakeSigner {
    keys: Mutex<HashMap<String, TestKey>>,
    down: AtomicBool,
    refuses: AtomicBool,
    barrier: Mutex<Option<Arc<tokio::sync::Barrier>>>,
}

impl FakeSigner {
    fn holding(keys: &[&TestKey]) -> Arc<FakeSigner> {
        let s = FakeSigner::default();
        for k in keys {
            s.keys
                .lock()
                .unwrap()
                .insert(k.public.key_id().into_string(), (*k).clone());
        }
        Arc::new(s)
    }
}

#[async_trait]
impl CryptoService for FakeSigner {
    async fn create_key(&self, _: KeyRequest<'_>) -> Result<SignerKey, SignerError> {
        Err(SignerError::Rpc("the fake signer creates no keys".into()))
    }

    async fn public_key(&self, key_id: &str) -> Result<Option<SignerKey>, SignerError> {
        Ok(self.keys.lock().unwrap().get(key_id).map(|k| SignerKey {
            keytype: "ecdsa".into(),
            public: k.public.public.clone(),
        }))
    }

    async fn sign(&self, key_id: &str, msg: &[u8]) -> Result<Vec<u8>, SignerError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(SignerError::Unavailable("connection refused".into()));
        }
        if self.refuses.load(Ordering::SeqCst) {
            return Err(SignerError::Rpc(
                "ResourceExhausted: message too large".into(),
            ));
        }
        let barrier = self.barrier.lock().unwrap().clone();
        if let Some(b) = barrier {
            b.wait().await;
        }
        let key = self.keys.lock().unwrap().get(key_id).cloned();
        key.map(|k| k.sign(msg).sig)
            .ok_or_else(|| SignerError::NotFound(key_id.into()))
    }

    async fn delete_key(&self, _: &str) -> Result<(), SignerError> {
        Ok(())
    }

    async fn check_health(&self) -> Result<(), String> {
        Ok(())
    }
}

/// A clock that stands still until the test moves it.
struct TestClock(Mutex<DateTime<Utc>>);

impl TestClock {
    fn advance(&self, d: Duration) {
        *self.0.lock().unwrap() += d;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

const GUN: &str = "example.com/trust/unit";

struct Fixture {
    repo: TestRepo,
    store: Store,
    signer: Arc<FakeSigner>,
    clock: Arc<TestClock>,
    gun: Gun,
}

impl Fixture {
    /// A repository whose timestamp key the signer holds (as after `notary init`).
    fn new() -> Fixture {
        let now = Utc::now();
        let repo = TestRepo::new(GUN, now);
        Fixture {
            signer: FakeSigner::holding(&[&repo.keys.timestamp]),
            repo,
            store: Store::open(&StorageConfig::Memory).unwrap(),
            clock: Arc::new(TestClock(Mutex::new(now))),
            gun: crate::gun::GunPolicy::default().parse(GUN).unwrap(),
        }
    }

    fn service_with(&self, lifetimes: Lifetimes) -> TrustService {
        TrustService::new(
            self.store.clone(),
            self.signer.clone(),
            self.clock.clone(),
            TrustSettings {
                key_algorithm: "ecdsa".into(),
                lifetimes,
            },
            Arc::default(),
        )
    }

    fn service(&self) -> TrustService {
        self.service_with(Lifetimes::default())
    }
}

fn timestamp_version(f: &File) -> i64 {
    TimestampView::parse(&f.bytes).unwrap().version
}

#[tokio::test]
async fn a_published_repository_is_served_through_its_chain() {
    let fx = Fixture::new();
    let trust = fx.service();
    assert_eq!(trust.publish(&fx.gun, fx.repo.uploads()).await.unwrap(), 1);

    let ts = trust.current(&fx.gun, &RoleName::Timestamp).await.unwrap();
    let view = TimestampView::parse(&ts.bytes).unwrap();
    assert_eq!(view.version, 1);
    assert!(view.names_snapshot(&fx.repo.snapshot));
    let snap = trust.current(&fx.gun, &RoleName::Snapshot).await.unwrap();
    assert_eq!(snap.bytes, fx.repo.snapshot);
    let root = trust.current(&fx.gun, &RoleName::Root).await.unwrap();
    assert_eq!(root.bytes, fx.repo.root);
    let by_version = trust
        .by_version(&fx.gun, &RoleName::Targets, 1)
        .await
        .unwrap();
    assert_eq!(by_version.bytes, fx.repo.targets);
    let by_sum = trust
        .by_checksum(&fx.gun, &RoleName::Root, &root.sha256_hex)
        .await
        .unwrap();
    assert_eq!(by_sum.bytes, fx.repo.root);
    // A delegation the snapshot does not list is not found.
    let missing: RoleName = "targets/releases".parse().unwrap();
    assert!(matches!(
        trust.current(&fx.gun, &missing).await,
        Err(TrustError::NotFound)
    ));
}

#[tokio::test]
async fn publish_validation_outcomes_leave_storage_unchanged() {
    let fx = Fixture::new();
    let trust = fx.service();

    // No root stored and none uploaded.
    let only_targets = vec![upload(RoleName::Targets, &fx.repo.targets)];
    match trust.publish(&fx.gun, only_targets).await {
        Err(TrustError::InvalidUpdate(e)) => assert_eq!(e.name(), Some("ErrValidation")),
        other => panic!("{other:?}"),
    }

    // The signer is down (503 class) or answers with an error (the server's failure, 5xx, not
    // the upload's): nothing written either way.
    type Expect = fn(&TrustError) -> bool;
    let cases: [(&AtomicBool, Expect); 2] = [
        (&fx.signer.down, |e| {
            matches!(e, TrustError::SignerUnavailable(_))
        }),
        (&fx.signer.refuses, |e| matches!(e, TrustError::Internal(_))),
    ];
    for (switch, expected) in cases {
        switch.store(true, Ordering::SeqCst);
        let err = trust.publish(&fx.gun, fx.repo.uploads()).await.unwrap_err();
        switch.store(false, Ordering::SeqCst);
        assert!(expected(&err), "{err:?}");
        assert!(matches!(
            trust.current(&fx.gun, &RoleName::Timestamp).await,
            Err(TrustError::NotFound)
        ));
    }

    // The signer does not hold the timestamp key: the typed error, nothing written.
    let stranger = fx.service();
    let other = Fixture::new();
    let without_key = TrustService::new(
        other.store.clone(),
        FakeSigner::holding(&[]),
        other.clock.clone(),
        TrustSettings::default(),
        Arc::default(),
    );
    match without_key.publish(&other.gun, other.repo.uploads()).await {
        Err(TrustError::InvalidUpdate(e)) => assert_eq!(e.name(), Some("ErrBadRoot")),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        without_key.current(&other.gun, &RoleName::Root).await,
        Err(TrustError::NotFound)
    ));

    // Published once; the same upload again is refused and the stored chain stays.
    trust.publish(&fx.gun, fx.repo.uploads()).await.unwrap();
    assert!(stranger.publish(&fx.gun, fx.repo.uploads()).await.is_err());
    let ts = trust.current(&fx.gun, &RoleName::Timestamp).await.unwrap();
    assert_eq!(timestamp_version(&ts), 1);
    assert!(matches!(
        trust.by_version(&fx.gun, &RoleName::Timestamp, 2).await,
        Err(TrustError::NotFound)
    ));
}

/// The id of the row the chain resolved for `role`.
fn resolved_id(c: &chain::Chain, role: &str) -> Option<i32> {
    match role {
        "timestamp" => Some(c.timestamp.row.id),
        "snapshot" => c.snapshot.as_ref().map(|s| s.row.id),
        _ => c.roles.iter().find(|(r, _)| r == role).map(|(_, f)| f.id),
    }
}

fn row(id: i32, role: &str, version: i32, data: &[u8]) -> GunFile {
    GunFile {
        id,
        role: role.into(),
        version,
        sha256: Some(crate::storage::sha256_hex(data)),
        created_at: None,
        deleted: false,
        data: data.to_vec(),
    }
}

#[test]
fn the_chain_resolver_follows_checksums() {
    let repo = TestRepo::new(GUN, Utc::now());
    let mut rows = vec![
        row(1, "root", 1, &repo.root),
        row(2, "targets", 1, &repo.targets),
        row(3, "snapshot", 1, &repo.snapshot),
        row(4, "timestamp", 1, &repo.timestamp),
        // A newer targets the snapshot does not name is not current.
        row(5, "targets", 2, b"{\"signed\":{}}"),
    ];
    let c = chain::resolve(&mut InMemoryRows(&rows), Wanted::All).unwrap();
    assert_eq!(c.timestamp.row.id, 4);
    assert_eq!(resolved_id(&c, "snapshot"), Some(3));
    assert_eq!(resolved_id(&c, "root"), Some(1));
    assert_eq!(resolved_id(&c, "targets"), Some(2));
    let c = chain::resolve(&mut InMemoryRows(&rows), Wanted::Roles(&["root"])).unwrap();
    assert_eq!(c.roles.len(), 1);

    // The snapshot row is gone: the chain has a timestamp and nothing else.
    rows.retain(|r| r.role != "snapshot");
    let c = chain::resolve(&mut InMemoryRows(&rows), Wanted::All).unwrap();
    assert!(c.snapshot.is_none() && c.roles.is_empty());

    // A corrupt newest timestamp, and no timestamp at all.
    rows.push(row(6, "timestamp", 2, b"{\"signed\":{\"version\":2}}"));
    assert!(matches!(
        chain::resolve(&mut InMemoryRows(&rows), Wanted::All),
        Err(ChainError::Corrupt {
            role: "timestamp",
            ..
        })
    ));
    rows.retain(|r| r.role != "timestamp");
    assert!(matches!(
        chain::resolve(&mut InMemoryRows(&rows), Wanted::All),
        Err(ChainError::NoTimestamp)
    ));
}

#[tokio::test]
async fn an_expired_timestamp_is_resigned_once_with_the_configured_lifetime() {
    let fx = Fixture::new();
    let lifetimes = Lifetimes {
        timestamp: Duration::hours(1),
        ..Lifetimes::default()
    };
    let trust = fx.service_with(lifetimes);
    trust.publish(&fx.gun, fx.repo.uploads()).await.unwrap();
    let first = trust.current(&fx.gun, &RoleName::Timestamp).await.unwrap();
    let v1 = TimestampView::parse(&first.bytes).unwrap();
    assert_eq!(v1.expires, fx.clock.now() + Duration::hours(1));

    fx.clock.advance(Duration::hours(2));
    let second = trust.current(&fx.gun, &RoleName::Timestamp).await.unwrap();
    let v2 = TimestampView::parse(&second.bytes).unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(v2.expires, fx.clock.now() + Duration::hours(1));
    assert!(
        v2.names_snapshot(&fx.repo.snapshot),
        "the snapshot was not expired"
    );
    let again = trust.current(&fx.gun, &RoleName::Timestamp).await.unwrap();
    assert_eq!(again.bytes, second.bytes);
    let m = trust.metrics();
    assert_eq!(m.timestamp_regenerations.load(Ordering::SeqCst), 1);
    assert_eq!(m.snapshot_regenerations.load(Ordering::SeqCst), 0);
    // The snapshot read goes through the same procedure and serves the same chain.
    let snap = trust.current(&fx.gun, &RoleName::Snapshot).await.unwrap();
    assert_eq!(snap.bytes, fx.repo.snapshot);
}

#[tokio::test]
async fn a_server_managed_snapshot_is_resigned_when_it_expires() {
    let mut fx = Fixture::new();
    fx.signer = FakeSigner::holding(&[&fx.repo.keys.timestamp, &fx.repo.keys.snapshot]);
    let lifetimes = Lifetimes {
        timestamp: Duration::days(30),
        snapshot: Duration::days(2),
    };
    let trust = fx.service_with(lifetimes);
    // Without a snapshot upload the server generates it (it holds the snapshot key).
    let uploads = vec![
        upload(RoleName::Root, &fx.repo.root),
        upload(RoleName::Targets, &fx.repo.targets),
    ];
    trust.publish(&fx.gun, uploads).await.unwrap();
    let snap1 = trust.current(&fx.gun, &RoleName::Snapshot).await.unwrap();

    fx.clock.advance(Duration::days(3));
    let ts = trust.current(&fx.gun, &RoleName::Timestamp).await.unwrap();
    assert_eq!(timestamp_version(&ts), 2);
    let snap2 = trust.current(&fx.gun, &RoleName::Snapshot).await.unwrap();
    assert_ne!(snap1.bytes, snap2.bytes);
    assert!(TimestampView::parse(&ts.bytes)
        .unwrap()
        .names_snapshot(&snap2.bytes));
    assert_eq!(
        trust
            .metrics()
            .snapshot_regenerations
            .load(Ordering::SeqCst),
        1
    );
}

#[tokio::test]
async fn two_replicas_racing_to_resign_store_one_timestamp_and_serve_it() {
    let fx = Fixture::new();
    let a = fx.service();
    let b = fx.service();
    a.publish(&fx.gun, fx.repo.uploads()).await.unwrap();
    fx.clock.advance(Duration::days(15));
    // Both read the expired chain and sign before either writes.
    *fx.signer.barrier.lock().unwrap() = Some(Arc::new(tokio::sync::Barrier::new(2)));
    let (ra, rb) = tokio::join!(
        a.current(&fx.gun, &RoleName::Timestamp),
        b.current(&fx.gun, &RoleName::Timestamp)
    );
    *fx.signer.barrier.lock().unwrap() = None;
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(
        ra.bytes, rb.bytes,
        "the loser serves the winner's timestamp"
    );
    assert_eq!(timestamp_version(&ra), 2);
    assert!(matches!(
        a.by_version(&fx.gun, &RoleName::Timestamp, 3).await,
        Err(TrustError::NotFound)
    ));
    let stored = a
        .by_version(&fx.gun, &RoleName::Timestamp, 2)
        .await
        .unwrap();
    assert_eq!(stored.bytes, ra.bytes);
    let regenerations = a.metrics().timestamp_regenerations.load(Ordering::SeqCst)
        + b.metrics().timestamp_regenerations.load(Ordering::SeqCst);
    assert_eq!(
        regenerations, 1,
        "exactly one replica stored a new timestamp"
    );
}

#[tokio::test]
async fn deleting_a_repository_drops_its_cached_timestamp() {
    let fx = Fixture::new();
    let trust = fx.service();
    trust.publish(&fx.gun, fx.repo.uploads()).await.unwrap();
    trust.current(&fx.gun, &RoleName::Timestamp).await.unwrap();
    assert!(trust.delete(&fx.gun).await.unwrap());
    assert!(matches!(
        trust.current(&fx.gun, &RoleName::Timestamp).await,
        Err(TrustError::NotFound)
    ));
    assert!(!trust.delete(&fx.gun).await.unwrap());
    let changes = trust.changes(0, 10, Some(&fx.gun)).await.unwrap();
    let kinds: Vec<&str> = changes.iter().map(|c| c.category.as_str()).collect();
    assert_eq!(kinds, ["update", "deletion"]);
}

/// Everything stored for the fixture's GUN: (role, version, bytes) of every row, and the
/// changefeed.
async fn stored_state(fx: &Fixture) -> (Vec<(String, i32, Vec<u8>)>, usize) {
    let rows = fx
        .store
        .gun_files(GUN)
        .await
        .unwrap()
        .into_iter()
        .map(|f| (f.role, f.version, f.data))
        .collect();
    let changes = fx.store.changes(0, 1000, Some(GUN.into())).await.unwrap();
    (rows, changes.len())
}

/// Property: a publish that fails leaves storage exactly as it was, whatever is wrong with it
/// (corrupt or truncated bytes, missing or swapped roles, stale versions, signer down or
/// refusing); one that succeeds adds rows. Deterministic pseudo-random cases.
#[tokio::test]
async fn a_failed_publish_never_changes_storage() {
    use notary_tuf::validation::testutil::{make_targets, sign_role};
    let mut fx = Fixture::new();
    let trust = fx.service();
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let (mut failures, mut successes) = (0, 0);
    let mut targets_version = 1;
    for round in 0..120 {
        let before = stored_state(&fx).await;
        let mut uploads = fx.repo.uploads();
        let r = next();
        match r % 8 {
            // Flip one byte of one file.
            0 => {
                let u = &mut uploads[(r >> 8) as usize % 3];
                let at = (r >> 16) as usize % u.bytes.len();
                u.bytes[at] ^= 0x20;
            }
            // Cut a file short.
            1 => {
                let u = &mut uploads[(r >> 8) as usize % 3];
                u.bytes.truncate((r >> 16) as usize % u.bytes.len());
            }
            // Drop a role.
            2 => {
                uploads.remove((r >> 8) as usize % 3);
            }
            // One role's bytes under another's name.
            3 => {
                let bytes = uploads[0].bytes.clone();
                uploads[1 + (r >> 8) as usize % 2].bytes = bytes;
            }
            // The signer is down or refuses.
            4 => fx.signer.down.store(true, Ordering::SeqCst),
            5 => fx.signer.refuses.store(true, Ordering::SeqCst),
            // A new targets version, properly signed: succeeds once the repository exists.
            _ => {
                targets_version += 1;
                fx.repo.targets = sign_role(
                    &make_targets(targets_version, Utc::now() + Duration::days(30)),
                    &[&fx.repo.keys.targets],
                );
                fx.repo.resign_snapshot(targets_version, Utc::now(), &[]);
                uploads = fx.repo.uploads();
                if successes > 0 {
                    // The root is stored already: a client uploads it only when it changes.
                    uploads.retain(|u| u.role != RoleName::Root);
                }
            }
        }
        let result = trust.publish(&fx.gun, uploads).await;
        fx.signer.down.store(false, Ordering::SeqCst);
        fx.signer.refuses.store(false, Ordering::SeqCst);
        let after = stored_state(&fx).await;
        match result {
            Ok(_) => {
                successes += 1;
                assert!(
                    after.0.len() > before.0.len(),
                    "round {round}: nothing written"
                );
                assert_eq!(after.1, before.1 + 1, "round {round}: one changefeed row");
            }
            Err(e) => {
                failures += 1;
                assert_eq!(after, before, "round {round}: {e} changed storage");
            }
        }
    }
    assert!(
        failures > 40 && successes > 10,
        "{failures} failures, {successes} successes"
    );
}

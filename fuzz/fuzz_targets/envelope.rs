//! Envelope parsing: arbitrary bytes as an uploaded or stored metadata file. The decoders the
//! server runs in production (`SignedMeta::parse` on every uploaded part, the `view` decoders
//! on every stored file of the read path), decoding into each role type, canonicalising
//! `signed` and computing key IDs must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use notary_tuf::data::{Envelope, Root, Snapshot, Targets, Timestamp};

fuzz_target!(|data: &[u8]| {
    let _ = notary_tuf::data::SignedMeta::parse(data);
    if let Ok(ts) = notary_tuf::view::TimestampView::parse(data) {
        let _ = ts.snapshot_sha256_hex();
        let _ = ts.names_snapshot(data);
    }
    if let Ok(sn) = notary_tuf::view::SnapshotView::parse(data) {
        for role in sn.meta.keys() {
            let _ = sn.role_sha256_hex(role);
        }
    }
    if let Ok(targets) = notary_tuf::view::TargetsView::parse(data) {
        for role in &targets.delegations.roles {
            let _ = role.check_path("latest");
        }
    }
    if let Ok(root) = notary_tuf::view::RootView::parse(data) {
        for role in ["root", "targets", "snapshot", "timestamp"] {
            let _ = root.role_keys(role);
        }
    }
    let Ok(env) = Envelope::parse(data) else {
        return;
    };
    let _ = env.canonical_signed();
    if let Ok(root) = env.decode_signed::<Root>() {
        for key in root.keys.values() {
            let _ = key.key_id();
            let _ = key.canonical_key_id();
        }
    }
    if let Ok(targets) = env.decode_signed::<Targets>() {
        for key in targets.delegations.keys.values() {
            let _ = key.key_id();
        }
    }
    let _ = env.decode_signed::<Snapshot>();
    let _ = env.decode_signed::<Timestamp>();
});

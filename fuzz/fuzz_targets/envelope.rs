//! Envelope parsing: arbitrary bytes as an uploaded metadata file. Parsing, decoding into
//! each role type, canonicalising `signed` and computing key IDs must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use notary_tuf::data::{Envelope, Root, Snapshot, Targets, Timestamp};

fuzz_target!(|data: &[u8]| {
    let _ = notary_tuf::data::SignedMeta::parse(data);
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

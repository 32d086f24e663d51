//! Canonical JSON: any JSON value either canonicalises or errors (fractional numbers), and
//! canonical output is a fixed point: parsing and canonicalising it again gives the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use notary_tuf::cjson::canonicalize;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let Ok(first) = canonicalize(&value) else {
        return;
    };
    // Canonical output may contain raw control characters, which strict JSON rejects;
    // only values that re-parse are checked for the fixed point.
    if let Ok(again) = serde_json::from_slice::<serde_json::Value>(&first) {
        let second = canonicalize(&again).expect("canonical output canonicalises");
        assert_eq!(first, second, "canonical JSON is not a fixed point");
    }
});

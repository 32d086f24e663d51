//! Parsing and re-serialising the role objects, key IDs, role names.

// Test code: a failed setup step panics, by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::str::FromStr;

use notary_tuf::cjson;
use notary_tuf::data::{
    sort_targets_roles, Envelope, FileMeta, KeyType, PublicKey, RoleName, Root, SignedFile,
    SignedMeta, Snapshot, Targets, Timestamp,
};
use notary_tuf::TufError;

/// Timestamp produced by the Go server (spec-server §10.2, fixture notary0.3).
const GO_TIMESTAMP: &str = r#"{"signed":{"_type":"Timestamp","expires":"2116-07-03T23:08:08.447842546Z","meta":{"snapshot":{"hashes":{"sha256":"8tnrmLiB+sNtG1356+kGjie3nSTyfsPrlmDvbF/uXOo=","sha512":"1TrxLDAKNR8ifK271ZbK3pHFjqW9+IouIbcb9cAqApmnBLkmtSKQMEUPHKKvySFwd4keVOfinuPSJ8Lno358Yg=="},"length":890}},"version":4},"signatures":[{"keyid":"f694343ec1d508b2840d86aec5387d7b4d62a39647e33566b2b2abf96029750c","method":"ecdsa","sig":"4DDaOBIQmwft3PfzYaaeAORhgmXS/nths/hJX1QLSFQvQhZ6nSf/K4QmCzYJwQvgvcq+oUATMfk2OzGfpUWCSw=="}]}"#;

fn b64(s: &str) -> Vec<u8> {
    notary_tuf::data::serde_util::b64_decode(s).unwrap()
}

#[test]
fn key_id_of_spec_example() {
    let key = PublicKey::new(
        KeyType::Ecdsa,
        b64("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEyidUV961UjagjWLmulPmQ6BX+EpJeoBFqHpfsM1L7tHF4fjdNRGPBmEktT9H3nh5YQpI4nxQ+K3Q2NZT0Cke8w=="),
    );
    assert_eq!(
        key.key_id().as_str(),
        "85559599cf3cf681ff193f432a7ca6d128182bd1cfa8ede2c70761deac8bc2dc"
    );
    // Plain keys: canonical ID == ID.
    assert_eq!(key.canonical_key_id().unwrap(), key.key_id());
    let key = PublicKey::new(
        KeyType::Ecdsa,
        b64("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEZKFFI+3g0NH+9mitd5bRO3hkH3PG2cniXVrzqKKfRyc5QvmNc6W8wZ5IGlls6ZZX/GgKRzcpIttDidrOGiGlwQ=="),
    );
    assert_eq!(
        key.key_id(),
        "f694343ec1d508b2840d86aec5387d7b4d62a39647e33566b2b2abf96029750c"
    );
}

#[test]
fn key_json_round_trip_ignores_private() {
    let text = r#"{"keytype":"ed25519","keyval":{"private":"AAAA","public":"AQID"}}"#;
    let key: PublicKey = serde_json::from_str(text).unwrap();
    assert_eq!(key.keytype, KeyType::Ed25519);
    assert_eq!(key.public, vec![1, 2, 3]);
    assert_eq!(
        cjson::to_canonical(&key).unwrap(),
        br#"{"keytype":"ed25519","keyval":{"private":null,"public":"AQID"}}"#.to_vec()
    );
    assert_eq!(key.canonical_json(), cjson::to_canonical(&key).unwrap());
    // Unknown key types are carried through.
    let key: PublicKey =
        serde_json::from_str(r#"{"keytype":"ECDSA","keyval":{"public":"AQID"}}"#).unwrap();
    assert_eq!(key.keytype, KeyType::Other("ECDSA".into()));
    assert!(cjson::to_canonical(&key)
        .unwrap()
        .starts_with(br#"{"keytype":"ECDSA""#));
}

#[test]
fn base64_is_standard_with_padding() {
    assert!(
        serde_json::from_str::<PublicKey>(r#"{"keytype":"rsa","keyval":{"public":"AQI"}}"#)
            .is_err()
    );
    assert!(
        serde_json::from_str::<PublicKey>(r#"{"keytype":"rsa","keyval":{"public":"-_8="}}"#)
            .is_err()
    );
    // Go accepts non-zero trailing bits and skips newlines.
    let key: PublicKey =
        serde_json::from_str(r#"{"keytype":"rsa","keyval":{"public":"AQJ=\n"}}"#).unwrap();
    assert_eq!(key.public, vec![1, 2]);
}

#[test]
fn go_timestamp_parses_and_reserialises_byte_identically() {
    let file: SignedFile<Timestamp> = SignedFile::parse(GO_TIMESTAMP.as_bytes()).unwrap();
    assert_eq!(file.signed.version, 4);
    assert_eq!(file.signed.type_, "Timestamp");
    assert_eq!(file.signed.meta["snapshot"].length, 890);
    assert_eq!(file.envelope.signatures[0].method, "ecdsa");
    let canonical = file.envelope.canonical_signed().unwrap();
    let start = GO_TIMESTAMP.find("{\"_type\"").unwrap();
    let end = GO_TIMESTAMP.find(",\"signatures\"").unwrap();
    assert_eq!(canonical, &GO_TIMESTAMP.as_bytes()[start..end]);
    // Struct path gives the same bytes.
    assert_eq!(cjson::to_canonical(&file.signed).unwrap(), canonical);
    // And the envelope is rebuilt exactly.
    assert_eq!(
        notary_tuf::sign::assemble_signed(&canonical, &file.envelope.signatures),
        GO_TIMESTAMP.as_bytes()
    );
}

#[test]
fn unknown_fields_are_kept() {
    let text = r#"{"_type":"Snapshot","expires":"2030-01-01T00:00:00Z","meta":{"root":{"hashes":{"sha256":"AA=="},"length":1,"x-extra":[1]}},"version":2,"zzz":{"a":2,"b":1}}"#;
    let snap: Snapshot = serde_json::from_str(text).unwrap();
    assert_eq!(snap.extra.len(), 1);
    // Role objects keep unknown members; file meta drops them, as Go does (generated
    // snapshots copy old file meta and must carry exactly custom/hashes/length).
    assert_eq!(
        cjson::to_canonical(&snap).unwrap(),
        text.replace(r#","x-extra":[1]"#, "").as_bytes()
    );
    let root: Root = serde_json::from_str(
        r#"{"_type":"Root","consistent_snapshot":true,"expires":"2030-01-01T00:00:00Z","keys":{},"roles":{"root":{"keyids":[],"threshold":1,"x":1}},"version":1,"y":[null]}"#,
    )
    .unwrap();
    assert_eq!(
        cjson::to_canonical(&root).unwrap(),
        br#"{"_type":"Root","consistent_snapshot":true,"expires":"2030-01-01T00:00:00Z","keys":{},"roles":{"root":{"keyids":[],"threshold":1,"x":1}},"version":1,"y":[null]}"#.to_vec()
    );
}

#[test]
fn targets_round_trip_and_defaults() {
    let text = r#"{"_type":"Targets","delegations":{"keys":{},"roles":[{"keyids":["ab"],"name":"targets/releases","paths":[""],"threshold":1}]},"expires":"2030-01-01T00:00:00.5Z","targets":{"LICENSE":{"custom":{"a":"<","z":1},"hashes":{"sha256":"AA==","sha512":"AQ=="},"length":11309}},"version":5}"#;
    let t: Targets = serde_json::from_str(text).unwrap();
    assert_eq!(t.delegations.roles[0].name, "targets/releases");
    assert!(t.delegations.roles[0].check_path("anything"));
    assert!(t.targets["LICENSE"].custom.is_some());
    assert_eq!(cjson::to_canonical(&t).unwrap(), text.as_bytes());
    // Missing delegations are emitted as {"keys":{},"roles":[]}, empty paths omitted.
    let t: Targets = serde_json::from_str(
        r#"{"_type":"Targets","expires":"2030-01-01T00:00:00Z","targets":{},"version":1}"#,
    )
    .unwrap();
    assert_eq!(
        cjson::to_canonical(&t).unwrap(),
        br#"{"_type":"Targets","delegations":{"keys":{},"roles":[]},"expires":"2030-01-01T00:00:00Z","targets":{},"version":1}"#.to_vec()
    );
}

#[test]
fn root_parses_with_zero_values_for_missing_and_null() {
    let r: Root = serde_json::from_str(r#"{"_type":"Root","keys":null,"version":null}"#).unwrap();
    assert_eq!(r.version, 0);
    assert!(r.keys.is_empty());
    assert!(r.roles.is_empty());
    assert!(!r.consistent_snapshot);
    assert_eq!(r.expires, cjson::zero_time());
}

#[test]
fn bad_field_types_are_errors() {
    for bad in [
        r#"{"version":1.5}"#,
        r#"{"version":"1"}"#,
        r#"{"version":1e0}"#,
        r#"{"expires":"tomorrow"}"#,
        r#"{"expires":5}"#,
        r#"{"_type":1}"#,
    ] {
        assert!(serde_json::from_str::<Timestamp>(bad).is_err(), "{bad}");
    }
}

#[test]
fn envelope_requires_signed() {
    assert_eq!(Envelope::parse(b"null"), Err(TufError::MissingSigned));
    assert_eq!(Envelope::parse(b"{}"), Err(TufError::MissingSigned));
    assert_eq!(
        Envelope::parse(br#"{"signed":null}"#),
        Err(TufError::MissingSigned)
    );
    assert!(matches!(
        Envelope::parse(b"[]"),
        Err(TufError::MalformedJson(_))
    ));
    assert!(matches!(
        Envelope::parse(b"{"),
        Err(TufError::MalformedJson(_))
    ));
    let env = Envelope::parse(br#"{"signed":{"a":1},"signatures":null}"#).unwrap();
    assert!(env.signatures.is_empty());
    // A null signature entry is a zero-value signature (Go), which never verifies.
    let env = Envelope::parse(br#"{"signed":{"a":1},"signatures":[null]}"#).unwrap();
    assert_eq!(env.signatures, vec![notary_tuf::data::Signature::default()]);
    // Duplicate members: last wins.
    let env = Envelope::parse(br#"{"signed":{"a":1},"signed":{"a":2}}"#).unwrap();
    assert_eq!(env.signed["a"], 2);
}

#[test]
fn signature_method_is_lowercased_and_sig_is_base64() {
    let env = Envelope::parse(
        br#"{"signed":{},"signatures":[{"keyid":"ab","method":"ECDSA","sig":"AQI="}]}"#,
    )
    .unwrap();
    assert_eq!(env.signatures[0].method, "ecdsa");
    assert_eq!(env.signatures[0].sig, vec![1, 2]);
    assert!(Envelope::parse(
        br#"{"signed":{},"signatures":[{"keyid":"ab","method":"ecdsa","sig":"not base64!"}]}"#
    )
    .is_err());
    assert!(Envelope::parse(br#"{"signed":{},"signatures":{}}"#).is_err());
}

#[test]
fn signed_meta_is_lenient_like_the_go_handler() {
    assert_eq!(SignedMeta::parse(b"null").unwrap().signed.version, 0);
    assert_eq!(SignedMeta::parse(b"{}").unwrap().signed.version, 0);
    let m = SignedMeta::parse(
        br#"{"signed":{"_type":"Targets","version":3,"expires":"2030-01-01T00:00:00-01:00"}}"#,
    )
    .unwrap();
    assert_eq!(m.signed.version, 3);
    assert_eq!(m.signed.type_, "Targets");
    for bad in [
        &br#"{"signed":{"version":1.5}}"#[..],
        br#"{"signed":{"version":"1"}}"#,
        br#"{"signed":{"expires":"x"}}"#,
        br#"{"signed":{"_type":2}}"#,
        br#"{"signatures":[1]}"#,
        br#"{"signatures":[{"sig":"!!"}]}"#,
        b"[]",
        b"not json",
    ] {
        assert!(
            SignedMeta::parse(bad).is_err(),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn file_meta_hashes() {
    let fm = FileMeta::from_bytes(b"hello");
    assert_eq!(fm.length, 5);
    assert_eq!(fm.hashes["sha256"].len(), 32);
    assert_eq!(fm.hashes["sha512"].len(), 64);
    assert!(fm.custom.is_none());
    fm.verify_hashes(b"hello", "targets").unwrap();
    fm.check_hash_structure().unwrap();
    let err = fm.verify_hashes(b"hellO", "targets").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("sha256 checksum for targets did not match: expected "),
        "{err}"
    );
    let mut only_other = fm.clone();
    only_other.hashes.clear();
    only_other.hashes.insert("md5".into(), vec![1]);
    assert_eq!(
        only_other
            .verify_hashes(b"hello", "snapshot")
            .unwrap_err()
            .to_string(),
        "no checksums for supported algorithms were provided for snapshot"
    );
    let mut short = fm.clone();
    short.hashes.insert("sha512".into(), vec![0; 10]);
    assert_eq!(
        short.check_hash_structure().unwrap_err().to_string(),
        "sha512 checksum invalid"
    );
    // Canonical form: no custom, sorted.
    let out = String::from_utf8(cjson::to_canonical(&FileMeta::from_bytes(b"")).unwrap()).unwrap();
    assert!(
        out.starts_with(
            r#"{"hashes":{"sha256":"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=","sha512":"#
        ),
        "{out}"
    );
    assert!(out.ends_with(r#"},"length":0}"#));
}

#[test]
fn role_names() {
    for ok in [
        "root",
        "targets",
        "snapshot",
        "timestamp",
        "targets/a",
        "targets/a-b_c/0/d",
    ] {
        assert_eq!(RoleName::from_str(ok).unwrap().as_str(), ok);
    }
    for bad in [
        "",
        "Root",
        "targets/",
        "targets//a",
        "targets/a/",
        "targets/A",
        "targets/a.b",
        "targets/./a",
        "targets/../a",
        "targetsx",
        "other/a",
        "targets/a b",
    ] {
        assert!(RoleName::from_str(bad).is_err(), "{bad}");
    }
    let long = format!("targets/{}", "a".repeat(247));
    assert_eq!(long.len(), 255);
    assert!(RoleName::from_str(&long).is_ok());
    assert!(RoleName::from_str(&format!("{long}a")).is_err());

    let r = RoleName::from_str("targets/a/b").unwrap();
    assert!(r.is_delegation());
    assert_eq!(r.parent().unwrap().as_str(), "targets/a");
    assert_eq!(r.parent().unwrap().parent(), Some(RoleName::Targets));
    assert_eq!(RoleName::Targets.parent(), None);
    assert_eq!(
        r.ancestors()
            .iter()
            .map(RoleName::as_str)
            .collect::<Vec<_>>(),
        vec!["targets", "targets/a"]
    );
    assert_eq!(r.tuf_type(), "Targets");

    let mut roles: Vec<RoleName> = [
        "targets/b/c",
        "targets/b",
        "targets",
        "targets/a/z",
        "targets/a",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect();
    sort_targets_roles(&mut roles);
    assert_eq!(
        roles.iter().map(RoleName::as_str).collect::<Vec<_>>(),
        vec![
            "targets",
            "targets/a",
            "targets/b",
            "targets/a/z",
            "targets/b/c"
        ]
    );
}

#[test]
fn common_checks_use_go_messages() {
    use chrono::TimeZone;
    use notary_tuf::data::checks::{check_expiry, check_type, check_version};
    assert_eq!(
        check_type("root", "Root", "Targets")
            .unwrap_err()
            .to_string(),
        "root type metadata invalid: expected type Root, not Targets"
    );
    check_type("root", "Root", "Root").unwrap();
    assert_eq!(
        check_version(1, 2).unwrap_err().to_string(),
        "version 1 is lower than current version 2"
    );
    check_version(2, 2).unwrap();
    let exp = chrono::Utc.with_ymd_and_hms(2026, 7, 25, 10, 0, 0).unwrap();
    check_expiry("timestamp", &exp, exp).unwrap();
    assert_eq!(
        check_expiry("timestamp", &exp, exp + chrono::Duration::nanoseconds(1))
            .unwrap_err()
            .to_string(),
        "timestamp expired at Sat Jul 25 10:00:00 UTC 2026"
    );
}

//! Canonical JSON and time formatting, against the docker/go `MarshalCanonical` rules.

// Test code: a failed setup step panics, by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{TimeZone, Utc};
use notary_tuf::cjson::{self, CjsonError};
use serde_json::{json, Value};

fn canon(text: &str) -> Result<Vec<u8>, CjsonError> {
    let v: Value = serde_json::from_str(text).unwrap();
    cjson::canonicalize(&v)
}

fn canon_str(text: &str) -> String {
    String::from_utf8(canon(text).unwrap()).unwrap()
}

#[test]
fn no_whitespace_and_sorted_keys() {
    assert_eq!(
        canon_str(r#" { "b" : 1 , "a" : [ 1 , 2 ] , "c" : { "z" : null , "y" : true } } "#),
        r#"{"a":[1,2],"b":1,"c":{"y":true,"z":null}}"#
    );
}

#[test]
fn keys_sorted_bytewise_at_every_level() {
    // Upper case sorts before lower case, shorter prefix first, non-ASCII (0xC3..) last.
    let out = canon_str(r#"{"é":1,"b":{"d":1,"C":2,"c":3},"aa":2,"a":3,"B":4,"_type":5}"#);
    assert_eq!(
        out,
        r#"{"B":4,"_type":5,"a":3,"aa":2,"b":{"C":2,"c":3,"d":1},"é":1}"#
    );
}

#[test]
fn arrays_keep_order_and_objects_inside_are_sorted() {
    assert_eq!(
        canon_str(r#"[3,1,{"b":1,"a":2},[],{}]"#),
        r#"[3,1,{"a":2,"b":1},[],{}]"#
    );
}

#[test]
fn only_quote_and_backslash_are_escaped() {
    let v = json!({"s": "q\"b\\s/"});
    assert_eq!(
        cjson::canonicalize(&v).unwrap(),
        br#"{"s":"q\"b\\s/"}"#.to_vec()
    );
}

#[test]
fn control_characters_are_raw_bytes() {
    // The input uses JSON escapes; the output carries the raw bytes.
    let out = canon(r#"{"s":"a\nb\t\u0001\u001f\u007f"}"#).unwrap();
    assert_eq!(out, b"{\"s\":\"a\nb\t\x01\x1f\x7f\"}".to_vec());
}

#[test]
fn html_characters_are_not_escaped() {
    // Go clients write \u003c etc. in files; canonical form has the raw characters.
    assert_eq!(
        canon_str(r#"{"s":"\u003ca\u003e \u0026 <b>&"}"#),
        r#"{"s":"<a> & <b>&"}"#
    );
}

#[test]
fn non_ascii_and_line_separators_are_raw_utf8() {
    let out = canon(r#"{"s":"caf\u00e9 ✓ \u2028\u2029 😀"}"#).unwrap();
    assert_eq!(
        out,
        "{\"s\":\"café ✓ \u{2028}\u{2029} 😀\"}".as_bytes().to_vec()
    );
}

#[test]
fn numbers_are_integral_int64() {
    assert_eq!(
        canon_str("[1e2, 100.0, -0, -0.0, 0, -5, 1E3, 2.5e1]"),
        "[100,100,0,0,0,-5,1000,25]"
    );
}

#[test]
fn fractional_number_is_an_error() {
    assert!(matches!(
        canon("[1.5]"),
        Err(CjsonError::FractionalNumber(_))
    ));
    assert!(matches!(
        canon(r#"{"a":{"b":0.1}}"#),
        Err(CjsonError::FractionalNumber(_))
    ));
    assert!(matches!(
        canon("1e-1"),
        Err(CjsonError::FractionalNumber(_))
    ));
}

#[test]
fn generic_numbers_go_through_float64() {
    // 2^53 + 1 is not representable as float64: Go's generic decode rounds it.
    assert_eq!(canon_str("9007199254740993"), "9007199254740992");
    // Exact for typed (struct) values.
    assert_eq!(
        cjson::to_canonical(&9_007_199_254_740_993_i64).unwrap(),
        b"9007199254740993".to_vec()
    );
    // Out of int64 range: Go's int64(float64) yields the minimum on amd64.
    assert_eq!(canon_str("1e19"), "-9223372036854775808");
    assert_eq!(canon_str("-9223372036854775808"), "-9223372036854775808");
}

#[test]
fn literals_and_empty_string() {
    assert_eq!(
        canon_str(r#"[true,false,null,""]"#),
        r#"[true,false,null,""]"#
    );
}

#[test]
fn to_canonical_of_struct_sorts_fields() {
    #[derive(serde::Serialize)]
    struct S {
        z: u32,
        a: &'static str,
        m: Option<u8>,
    }
    assert_eq!(
        cjson::to_canonical(&S {
            z: 1,
            a: "x",
            m: None
        })
        .unwrap(),
        br#"{"a":"x","m":null,"z":1}"#.to_vec()
    );
}

#[test]
fn format_time_is_go_rfc3339nano() {
    let t = Utc.with_ymd_and_hms(2116, 7, 3, 23, 8, 8).unwrap();
    assert_eq!(cjson::format_time(&t), "2116-07-03T23:08:08Z");
    let t = t + chrono::Duration::nanoseconds(447_842_546);
    assert_eq!(cjson::format_time(&t), "2116-07-03T23:08:08.447842546Z");
    let t =
        Utc.with_ymd_and_hms(2020, 1, 2, 3, 4, 5).unwrap() + chrono::Duration::milliseconds(120);
    assert_eq!(cjson::format_time(&t), "2020-01-02T03:04:05.12Z");
    let t = Utc.with_ymd_and_hms(2020, 1, 2, 3, 4, 5).unwrap() + chrono::Duration::nanoseconds(1);
    assert_eq!(cjson::format_time(&t), "2020-01-02T03:04:05.000000001Z");
    assert_eq!(
        cjson::format_time(&cjson::zero_time()),
        "0001-01-01T00:00:00Z"
    );
}

#[test]
fn parse_time_accepts_offsets_and_fractions() {
    let t = cjson::parse_time("2116-07-03T17:56:36.027379879-05:00").unwrap();
    assert_eq!(cjson::format_time(&t), "2116-07-03T22:56:36.027379879Z");
    let t = cjson::parse_time("2020-01-01T00:00:00+01:30").unwrap();
    assert_eq!(cjson::format_time(&t), "2019-12-31T22:30:00Z");
    let t = cjson::parse_time("2020-01-01T00:00:00.5Z").unwrap();
    assert_eq!(cjson::format_time(&t), "2020-01-01T00:00:00.5Z");
    for bad in [
        "2020-01-01 00:00:00Z",
        "2020-01-01t00:00:00Z",
        "2020-01-01T00:00:00z",
        "2020-01-01T00:00:00",
        "2020-01-01T00:00:60Z",
        "2020-13-01T00:00:00Z",
        "yesterday",
        "",
    ] {
        assert!(cjson::parse_time(bad).is_err(), "{bad} should not parse");
    }
}

#[test]
fn go_date_format_for_expiry_messages() {
    let t = Utc.with_ymd_and_hms(2026, 7, 5, 9, 4, 5).unwrap();
    assert_eq!(cjson::format_go_date(&t), "Sun Jul 5 09:04:05 UTC 2026");
}

#[test]
fn year_out_of_range_refused_when_serialising() {
    let t = Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap();
    assert_eq!(cjson::check_time_range(&t), Err(CjsonError::YearOutOfRange));
    let mut ts = notary_tuf::data::Timestamp::new(t, 1, b"x");
    assert!(cjson::to_canonical(&ts).is_err());
    ts.expires = Utc.with_ymd_and_hms(9999, 12, 31, 0, 0, 0).unwrap();
    assert!(cjson::to_canonical(&ts).is_ok());
}

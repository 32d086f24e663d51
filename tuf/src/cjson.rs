//! Canonical JSON exactly as docker/go `canonical/json` `MarshalCanonical` writes it
//! (spec-server §10.6, spec-signer §7), plus Go's `time.Time` text formats.
//!
//! Hand-written rather than taken from a crate: the common canonical-JSON crates follow
//! RFC 8785 or OLPC rules (escaping control characters, NFC-normalising, printing floats),
//! which differ from the Go encoder byte for byte, and signatures depend on those bytes.
//!
//! Rules: no whitespace; object members sorted by raw UTF-8 bytes of the key; strings copied
//! verbatim except `"` → `\"` and `\` → `\\`; numbers must be integral and are printed as
//! base-10 `int64`; `true`/`false`/`null` literal; arrays in order.

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Timelike, Utc};
use serde::Serialize;
use serde_json::{Number, Value};

/// Canonical JSON could not be produced or a time value could not be read/written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CjsonError {
    /// A number with a fractional part (Go: `json: unsupported value: 1.5`).
    #[error("json: unsupported value: {0}")]
    FractionalNumber(String),
    /// The value could not be turned into JSON at all (serde error text).
    #[error("json: {0}")]
    Serialize(String),
    /// A time outside Go's JSON range (year 0..=9999).
    #[error("Time.MarshalJSON: year outside of range [0,9999]")]
    YearOutOfRange,
    /// A time string that is not RFC 3339.
    #[error("parsing time {0:?} as RFC 3339 failed")]
    BadTime(String),
}

/// How numbers are interpreted.
#[derive(Clone, Copy, PartialEq, Eq)]
enum NumberMode {
    /// Verification path: Go decoded `signed` into `interface{}`, so every number went through
    /// a float64 and is printed as `int64(f)` (integers above 2^53 lose precision).
    GoGeneric,
    /// Struct path: integers are printed exactly; floats must still be integral.
    Exact,
}

/// Canonicalise a generic JSON tree the way Go's verifier does: `json.Unmarshal` into
/// `map[string]interface{}` (every number a float64) followed by `MarshalCanonical`.
/// This is the message that signatures are checked against.
pub fn canonicalize(v: &Value) -> Result<Vec<u8>, CjsonError> {
    let mut out = Vec::with_capacity(256);
    write_value(&mut out, v, NumberMode::GoGeneric)?;
    Ok(out)
}

/// Canonical JSON of a typed value, as Go's `MarshalCanonical` of a struct (integers exact).
/// This is what the server signs when it generates a snapshot or timestamp.
pub fn to_canonical<T: Serialize + ?Sized>(v: &T) -> Result<Vec<u8>, CjsonError> {
    let value = serde_json::to_value(v).map_err(|e| CjsonError::Serialize(e.to_string()))?;
    let mut out = Vec::with_capacity(256);
    write_value(&mut out, &value, NumberMode::Exact)?;
    Ok(out)
}

fn write_value(out: &mut Vec<u8>, v: &Value, mode: NumberMode) -> Result<(), CjsonError> {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_number(out, n, mode)?,
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item, mode)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            // serde_json's Map is a BTreeMap<String, _> (no `preserve_order` feature), whose
            // order is byte-wise on the UTF-8 key; sort explicitly anyway so the rule does not
            // depend on a feature flag elsewhere in the dependency graph.
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (k, val)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(out, k);
                out.push(b':');
                write_value(out, val, mode)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

fn write_number(out: &mut Vec<u8>, n: &Number, mode: NumberMode) -> Result<(), CjsonError> {
    if mode == NumberMode::Exact {
        if let Some(i) = n.as_i64() {
            out.extend_from_slice(i.to_string().as_bytes());
            return Ok(());
        }
        if let Some(u) = n.as_u64() {
            out.extend_from_slice(u.to_string().as_bytes());
            return Ok(());
        }
    }
    let f = match n.as_f64() {
        Some(f) => f,
        None => return Err(CjsonError::FractionalNumber(n.to_string())),
    };
    if !f.is_finite() || f.floor() != f {
        return Err(CjsonError::FractionalNumber(go_float_string(f)));
    }
    out.extend_from_slice(go_int64_of_float(f).to_string().as_bytes());
    Ok(())
}

/// Go's `int64(f)` for an integral float. Out-of-range values convert to the "integer
/// indefinite" value on amd64, which is `i64::MIN`; Rust's `as` would saturate instead.
fn go_int64_of_float(f: f64) -> i64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if (-TWO_63..TWO_63).contains(&f) {
        f as i64
    } else {
        i64::MIN
    }
}

fn go_float_string(f: f64) -> String {
    // Only used in an error message; Go prints with 'g' formatting.
    format!("{f}")
}

/// Strings: only `"` and `\` are escaped; every other byte is copied verbatim.
fn write_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    for &b in s.as_bytes() {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

/// Go `time.Time.MarshalJSON` text for a UTC time: RFC 3339 with up to nine fractional digits,
/// trailing zeros trimmed (no `.` at all for whole seconds), `Z` for UTC.
///
/// Years outside 0..=9999 are formatted anyway here; [`check_time_range`] is what refuses them
/// during serialisation, as Go does.
pub fn format_time(t: &DateTime<Utc>) -> String {
    let mut s = String::with_capacity(35);
    let _ = write!(
        s,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    let nanos = t.nanosecond() % 1_000_000_000;
    if nanos != 0 {
        let frac = format!("{nanos:09}");
        s.push('.');
        s.push_str(frac.trim_end_matches('0'));
    }
    s.push('Z');
    s
}

/// Go refuses to marshal times whose year is outside 0..=9999.
pub fn check_time_range(t: &DateTime<Utc>) -> Result<(), CjsonError> {
    if (0..=9999).contains(&t.year()) {
        Ok(())
    } else {
        Err(CjsonError::YearOutOfRange)
    }
}

/// Parse an RFC 3339 time as Go's `time.Time.UnmarshalJSON` accepts it: `T` separator,
/// optional fraction of any length, `Z` or a numeric `±hh:mm` offset. The instant is kept
/// (converted to UTC); the original offset is not (the raw bytes are always kept elsewhere).
pub fn parse_time(s: &str) -> Result<DateTime<Utc>, CjsonError> {
    parse_time_fixed(s).map(|t| t.with_timezone(&Utc))
}

/// Like [`parse_time`] but keeps the offset written in the text.
pub fn parse_time_fixed(s: &str) -> Result<DateTime<FixedOffset>, CjsonError> {
    let bad = || CjsonError::BadTime(s.to_string());
    let bytes = s.as_bytes();
    // chrono also accepts a space or lower-case `t`/`z`; Go's RFC 3339 layout does not.
    if bytes.len() < 20 || bytes[10] != b'T' || bytes.last() == Some(&b'z') {
        return Err(bad());
    }
    let t = DateTime::parse_from_rfc3339(s).map_err(|_| bad())?;
    // chrono accepts a leap second (`:60`); Go rejects second 60.
    if t.nanosecond() >= 1_000_000_000 {
        return Err(bad());
    }
    Ok(t)
}

/// Go's zero `time.Time` (`0001-01-01T00:00:00Z`): the value a missing or `null` time decodes to.
pub fn zero_time() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(1, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|n| n.and_utc())
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Go's `t.Format("Mon Jan 2 15:04:05 MST 2006")` for a UTC time (zone name `UTC`), as used
/// in `<role> expired at <time>` messages.
pub fn format_go_date(t: &DateTime<Utc>) -> String {
    t.format("%a %b %-d %H:%M:%S UTC %Y").to_string()
}

/// Go's `encoding/json` HTML-safe escaping (`<`, `>`, `&`, U+2028, U+2029 as `\u` escapes)
/// applied to already serialised JSON: these characters can only occur inside strings, so a
/// plain substitution is exact. Error envelopes and validation details are written this way.
pub fn go_html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

//! Serde adapters reproducing Go `encoding/json` decoding rules for the notary structs:
//! `null` or a missing member leaves the zero value, `[]byte` is standard base64 with padding,
//! `time.Time` is RFC 3339.

use std::collections::BTreeMap;

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::de::Error as _;
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serializer};

use crate::cjson;

/// Go's `base64.StdEncoding` as used by `encoding/json` for `[]byte`: padding required, and
/// (unlike the strict mode) non-zero trailing bits accepted.
const GO_STD: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical)
        .with_decode_allow_trailing_bits(true),
);

/// Standard base64 with padding.
pub fn b64_encode(bytes: &[u8]) -> String {
    GO_STD.encode(bytes)
}

/// Decode base64 the way Go's `encoding/json` does for `[]byte` (it also skips `\r`/`\n`).
pub fn b64_decode(s: &str) -> Result<Vec<u8>, base64::DecodeError> {
    if s.contains(['\r', '\n']) {
        let cleaned: String = s.chars().filter(|c| *c != '\r' && *c != '\n').collect();
        GO_STD.decode(cleaned)
    } else {
        GO_STD.decode(s)
    }
}

/// `null` or missing → `T::default()` (Go leaves the zero value).
pub fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A `[]byte` value that may be `null` (empty): decoded with [`b64_decode`], Go's message on
/// failure.
fn b64_decode_nullable<E: serde::de::Error>(v: Option<String>) -> Result<Vec<u8>, E> {
    match v {
        None => Ok(Vec::new()),
        Some(s) => b64_decode(&s).map_err(|e| E::custom(format!("illegal base64 data: {e}"))),
    }
}

/// `[]byte` fields.
pub mod b64 {
    use super::*;

    /// Writes the bytes as standard base64 with padding.
    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&b64_encode(v))
    }

    /// Reads base64 as Go does; `null` is empty. Fails on invalid base64.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        b64_decode_nullable(Option::<String>::deserialize(d)?)
    }
}

/// `map[string][]byte` fields (hashes).
pub mod b64_map {
    use super::*;

    /// Writes each value as standard base64 with padding.
    pub fn serialize<S: Serializer>(
        v: &BTreeMap<String, Vec<u8>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_map(v.iter().map(|(k, v)| (k, b64_encode(v))))
    }

    /// Reads a map of base64 values; a `null` map is empty and a `null` value is empty bytes.
    /// Fails on invalid base64.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<String, Vec<u8>>, D::Error> {
        let raw = Option::<BTreeMap<String, Option<String>>>::deserialize(d)?.unwrap_or_default();
        raw.into_iter()
            .map(|(k, v)| Ok((k, b64_decode_nullable(v)?)))
            .collect()
    }
}

/// `time.Time` fields.
pub mod time {
    use super::*;

    /// Writes RFC 3339 as Go does; fails for years outside 0..=9999.
    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        cjson::check_time_range(t).map_err(S::Error::custom)?;
        s.serialize_str(&cjson::format_time(t))
    }

    /// Reads RFC 3339 as Go accepts it; `null` is Go's zero time. Fails on anything else.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(cjson::zero_time()),
            Some(s) => cjson::parse_time(&s).map_err(D::Error::custom),
        }
    }
}

/// Signature `method`: lower-cased on decode (Go `Signature.UnmarshalJSON`).
pub fn lowercase<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?
        .unwrap_or_default()
        .to_lowercase())
}

/// A list whose `null` elements decode to `T::default()` (Go decodes `null` into a struct
/// value as a no-op, leaving the zero value); a `null` or missing list is empty.
pub fn nullable_items<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<Vec<Option<T>>>::deserialize(d)?
        .unwrap_or_default()
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect())
}

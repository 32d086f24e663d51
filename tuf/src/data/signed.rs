//! The signed envelope (spec-server §3.3, §10.1).

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::serde_util::{self, nullable};
use crate::cjson;
use crate::error::TufError;

/// One entry of `signatures`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Signature {
    #[serde(default, deserialize_with = "nullable")]
    pub keyid: String,
    /// Lower-cased when parsed (Go `Signature.UnmarshalJSON`).
    #[serde(default, deserialize_with = "serde_util::lowercase")]
    pub method: String,
    /// Raw signature bytes (standard base64 in JSON).
    #[serde(default, with = "serde_util::b64")]
    pub sig: Vec<u8>,
}

/// A parsed metadata file: the `signed` object as a generic JSON tree (what signatures are
/// verified over, after canonicalisation) and the signatures.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    pub signed: Value,
    pub signatures: Vec<Signature>,
}

impl Envelope {
    /// Parse a metadata file. The top level must be an object whose `signed` member is present
    /// and not `null` (Go would panic later; we refuse). `signatures` missing or `null` is an
    /// empty list. Duplicate members: the last wins, as in Go.
    pub fn parse(bytes: &[u8]) -> Result<Envelope, TufError> {
        let value: Value = serde_json::from_slice(bytes)?;
        Envelope::from_value(value)
    }

    /// As [`Envelope::parse`], from an already parsed JSON value.
    pub fn from_value(value: Value) -> Result<Envelope, TufError> {
        let mut obj = match value {
            Value::Object(m) => m,
            Value::Null => return Err(TufError::MissingSigned),
            other => {
                return Err(TufError::MalformedJson(format!(
                    "cannot unmarshal {} into a signed envelope",
                    json_kind(&other)
                )))
            }
        };
        let signed = match obj.remove("signed") {
            None | Some(Value::Null) => return Err(TufError::MissingSigned),
            Some(v) => v,
        };
        let signatures = match obj.remove("signatures") {
            None => Vec::new(),
            Some(v) => serde_util::nullable_items(v)?,
        };
        Ok(Envelope { signed, signatures })
    }

    /// The canonical bytes of `signed`: the message signatures are verified over.
    pub fn canonical_signed(&self) -> Result<Vec<u8>, TufError> {
        Ok(cjson::canonicalize(&self.signed)?)
    }

    /// Decode `signed` into a typed role object.
    pub fn decode_signed<T: DeserializeOwned>(&self) -> Result<T, TufError> {
        // serde would also accept a struct written as an array; Go does not.
        if !self.signed.is_object() {
            return Err(TufError::MalformedJson(format!(
                "cannot unmarshal {} into a role object",
                json_kind(&self.signed)
            )));
        }
        Ok(T::deserialize(&self.signed)?)
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A metadata file: the exact bytes, the envelope, and the typed `signed` object.
/// Nothing here is verified: parsing is not trusting.
#[derive(Debug, Clone)]
pub struct SignedFile<T> {
    /// Exact bytes as received / stored (hashes are computed over these).
    pub raw: Vec<u8>,
    pub envelope: Envelope,
    pub signed: T,
}

impl<T: DeserializeOwned> SignedFile<T> {
    pub fn parse(bytes: &[u8]) -> Result<SignedFile<T>, TufError> {
        let envelope = Envelope::parse(bytes)?;
        let signed = envelope.decode_signed()?;
        Ok(SignedFile {
            raw: bytes.to_vec(),
            envelope,
            signed,
        })
    }
}

/// The fields common to every role object (Go `SignedCommon`), decoded leniently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedCommon {
    #[serde(rename = "_type", default, deserialize_with = "nullable")]
    pub type_: String,
    #[serde(default = "cjson::zero_time", with = "serde_util::time")]
    pub expires: DateTime<Utc>,
    #[serde(default, deserialize_with = "nullable")]
    pub version: i64,
}

impl Default for SignedCommon {
    fn default() -> Self {
        SignedCommon {
            type_: String::new(),
            expires: cjson::zero_time(),
            version: 0,
        }
    }
}

/// The handler-side decode of an uploaded part (Go `SignedMeta`, spec-server §3.3): everything
/// optional, zero values when missing, a top-level `null` accepted (version 0). An error here
/// is the server's `MALFORMED_JSON`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SignedMeta {
    pub signed: SignedCommon,
    pub signatures: Vec<Signature>,
}

impl SignedMeta {
    pub fn parse(bytes: &[u8]) -> Result<SignedMeta, TufError> {
        #[derive(Deserialize)]
        struct Wire {
            #[serde(default, deserialize_with = "nullable")]
            signed: SignedCommon,
            #[serde(default, deserialize_with = "serde_util::nullable_items")]
            signatures: Vec<Signature>,
        }
        let value: Value = serde_json::from_slice(bytes)?;
        if value.is_null() {
            return Ok(SignedMeta::default());
        }
        // serde would also accept a struct written as an array; Go does not.
        if !value.is_object()
            || value
                .get("signed")
                .is_some_and(|s| !s.is_object() && !s.is_null())
        {
            return Err(TufError::MalformedJson(
                "cannot unmarshal non-object into signed metadata".to_string(),
            ));
        }
        let w: Wire = serde_json::from_value(value)?;
        Ok(SignedMeta {
            signed: w.signed,
            signatures: w.signatures,
        })
    }
}

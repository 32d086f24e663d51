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
    /// The ID of the key that made the signature.
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
    /// The `signed` member, as parsed.
    pub signed: Value,
    /// The `signatures` member (`null` entries are zero-value signatures).
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
    /// The parsed envelope.
    pub envelope: Envelope,
    /// `signed` decoded as the role object `T`.
    pub signed: T,
}

impl<T: DeserializeOwned> SignedFile<T> {
    /// Parses a metadata file ([`Envelope::parse`], then [`Envelope::decode_signed`]); fails
    /// when either does.
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
    /// `_type`, e.g. `Targets`.
    #[serde(rename = "_type", default, deserialize_with = "nullable")]
    pub type_: String,
    /// `expires`; Go's zero time when missing.
    #[serde(default = "cjson::zero_time", with = "serde_util::time")]
    pub expires: DateTime<Utc>,
    /// `version`.
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

/// The handler-side decode of an uploaded part (Go `SignedMeta` decoded with `json.Decoder`,
/// spec-server §3.3): the first JSON value only (trailing bytes ignored), member names matched
/// case-insensitively (of members that differ only in case, the one whose name sorts last
/// wins; Go takes the last in the document; the last of exact duplicates wins in both),
/// everything optional with zero values when missing
/// or `null`, a top-level `null` accepted (version 0). An error here is the server's
/// `MALFORMED_JSON`; the server and the validation pipeline both decode uploads with this.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SignedMeta {
    /// `signed`: `_type`, `expires`, `version`.
    pub signed: SignedCommon,
    /// `signatures` (`null` entries are zero-value signatures).
    pub signatures: Vec<Signature>,
}

type Object = serde_json::Map<String, Value>;

/// Go's case-insensitive member lookup (see [`SignedMeta`] for ties). `null` is absent.
fn member<'a>(m: &'a Object, name: &str) -> Option<&'a Value> {
    m.iter()
        .rev()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .filter(|v| !v.is_null())
}

fn malformed(what: &str) -> TufError {
    TufError::MalformedJson(format!("cannot unmarshal {what}"))
}

fn string_member(m: &Object, name: &str) -> Result<String, TufError> {
    match member(m, name) {
        None => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(malformed(&format!("{name} into a string"))),
    }
}

impl SignedMeta {
    /// Decodes an uploaded part; see the type's documentation for the rules.
    pub fn parse(bytes: &[u8]) -> Result<SignedMeta, TufError> {
        let value = serde_json::Deserializer::from_slice(bytes)
            .into_iter::<Value>()
            .next()
            .ok_or_else(|| malformed("empty input"))??;
        let obj = match &value {
            Value::Null => return Ok(SignedMeta::default()),
            Value::Object(m) => m,
            other => {
                return Err(malformed(&format!(
                    "{} into signed metadata",
                    json_kind(other)
                )))
            }
        };
        let mut out = SignedMeta::default();
        match member(obj, "signed") {
            None => {}
            Some(Value::Object(s)) => {
                out.signed.version = match member(s, "version") {
                    None => 0,
                    Some(Value::Number(n)) => n
                        .as_i64()
                        .ok_or_else(|| malformed("version into an integer"))?,
                    Some(_) => return Err(malformed("version into an integer")),
                };
                if let Some(t) = member(s, "expires") {
                    let t = t.as_str().ok_or_else(|| malformed("expires into a time"))?;
                    out.signed.expires = DateTime::parse_from_rfc3339(t)
                        .map_err(|_| malformed("expires into a time"))?
                        .with_timezone(&Utc);
                }
                out.signed.type_ = string_member(s, "_type")?;
            }
            Some(_) => return Err(malformed("non-object into signed metadata")),
        }
        match member(obj, "signatures") {
            None => {}
            Some(Value::Array(sigs)) => {
                for sig in sigs {
                    let s = match sig {
                        Value::Null => {
                            out.signatures.push(Signature::default());
                            continue;
                        }
                        Value::Object(s) => s,
                        _ => return Err(malformed("non-object into a signature")),
                    };
                    let sig = match member(s, "sig") {
                        None => Vec::new(),
                        Some(Value::String(b)) => {
                            serde_util::b64_decode(b).map_err(|_| malformed("sig from base64"))?
                        }
                        Some(_) => return Err(malformed("sig into bytes")),
                    };
                    out.signatures.push(Signature {
                        keyid: string_member(s, "keyid")?,
                        method: string_member(s, "method")?.to_lowercase(),
                        sig,
                    });
                }
            }
            Some(_) => return Err(malformed("non-array into signatures")),
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::SignedMeta;

    fn version(bytes: &[u8]) -> Option<i64> {
        SignedMeta::parse(bytes).ok().map(|m| m.signed.version)
    }

    #[test]
    fn upload_envelope_shapes_as_the_go_handler_decodes_them() {
        assert_eq!(
            version(b"{\"signed\":{\"version\":3},\"signatures\":[]}"),
            Some(3)
        );
        assert_eq!(version(b"null"), Some(0));
        assert_eq!(version(b"{} trailing"), Some(0), "first JSON value only");
        assert_eq!(
            version(b"{\"Signed\":{\"VERSION\":4}}"),
            Some(4),
            "names match case-insensitively"
        );
        assert_eq!(
            version(b"{\"signed\":{\"version\":1,\"version\":2}}"),
            Some(2),
            "the last of duplicate members wins"
        );
        assert_eq!(version(b"{\"signed\":{\"version\":1.5}}"), None);
        assert_eq!(version(b"{\"signed\":{\"version\":\"1\"}}"), None);
        assert_eq!(version(b"{\"signed\":{\"expires\":\"soon\"}}"), None);
        assert_eq!(version(b"{\"signed\":{\"_type\":7}}"), None);
        assert_eq!(version(b"{\"signed\":[]}"), None);
        assert_eq!(version(b"{\"signatures\":[{\"sig\":\"!!\"}]}"), None);
        assert_eq!(version(b"{\"signatures\":{}}"), None);
        assert_eq!(
            version(b"{\"signatures\":[null,{\"method\":\"ECDSA\"}]}"),
            Some(0)
        );
        assert_eq!(version(b"[1]"), None);
        assert_eq!(version(b"not json"), None);
        assert_eq!(version(b""), None);
        let m =
            SignedMeta::parse(b"{\"signatures\":[null,{\"method\":\"ECDSA\",\"sig\":\"AQI=\"}]}")
                .unwrap();
        assert_eq!(m.signatures.len(), 2);
        assert_eq!(m.signatures[1].method, "ecdsa");
        assert_eq!(m.signatures[1].sig, vec![1, 2]);
    }
}

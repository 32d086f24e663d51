//! Bearer JWT parsing and verification with the docker/distribution token rules
//! (spec-server §8.3). Hand-written on ring rather than a JWT crate because the rules are
//! registry-specific: a string-only `aud`, a 60 s leeway on `exp`/`nbf` where a missing `exp`
//! counts as expired, and signing keys found through `x5c` chains, libtrust JWKs or libtrust key
//! IDs of the root bundle.

use serde::Deserialize;
use serde_json::Value;

use super::b64url_decode;
use super::token_keys::{PublicKey, RootBundle};

/// Clock skew tolerated on `exp` and `nbf`, in seconds.
pub const LEEWAY_SECS: i64 = 60;

/// One `access` entry of the claims.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct ResourceActions {
    #[serde(rename = "type", default)]
    pub typ: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub actions: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Header {
    #[serde(default)]
    alg: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    x5c: Option<Vec<Value>>,
    #[serde(default)]
    jwk: Option<Value>,
}

/// The claims this server uses. `aud` must be a JSON string (docker/distribution 2.7 decodes it
/// into a Go string, so an array audience is a malformed token).
#[derive(Debug, Deserialize)]
struct Claims {
    #[serde(default)]
    iss: String,
    #[serde(default)]
    aud: String,
    #[serde(default)]
    exp: i64,
    #[serde(default)]
    nbf: i64,
    #[serde(default)]
    access: Vec<ResourceActions>,
}

/// A token that passed every check but authorisation.
#[derive(Debug, Clone)]
pub struct VerifiedToken {
    pub expires_at: i64,
    pub not_before: i64,
    pub access: Vec<ResourceActions>,
}

/// Why a token is invalid (logged; never contains the token).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("malformed token: {0}")]
    Malformed(String),
    #[error("token issuer {got:?} is not the configured issuer")]
    Issuer { got: String },
    #[error("token audience {got:?} is not the configured service")]
    Audience { got: String },
    #[error("token expired at {exp} (now {now}, leeway {LEEWAY_SECS} s)")]
    Expired { exp: i64, now: i64 },
    #[error("token not valid before {nbf} (now {now}, leeway {LEEWAY_SECS} s)")]
    NotYetValid { nbf: i64, now: i64 },
    #[error("token has an empty signature")]
    NoSignature,
    #[error("untrusted signing key: {0}")]
    UntrustedKey(String),
    #[error("signature check failed: {0}")]
    Signature(String),
}

/// What a token is checked against (the `auth.options`).
pub struct Expectations<'a> {
    pub issuer: &'a str,
    pub service: &'a str,
    pub roots: &'a RootBundle,
}

fn decode_part<T: for<'de> Deserialize<'de>>(part: &str, what: &str) -> Result<T, TokenError> {
    let bytes = b64url_decode(part)
        .map_err(|_| TokenError::Malformed(format!("{what} is not base64url")))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| TokenError::Malformed(format!("{what} is not valid JSON for a token: {e}")))
}

/// Parses and verifies a compact JWS token at time `now` (Unix seconds).
pub fn verify(raw: &str, exp: &Expectations<'_>, now: i64) -> Result<VerifiedToken, TokenError> {
    let parts: Vec<&str> = raw.split('.').collect();
    let [header_b64, claims_b64, sig_b64] = parts.as_slice() else {
        return Err(TokenError::Malformed(format!(
            "{} parts instead of 3",
            parts.len()
        )));
    };
    let header: Header = decode_part(header_b64, "header")?;
    let claims: Claims = decode_part(claims_b64, "claims")?;
    let signature = b64url_decode(sig_b64)
        .map_err(|_| TokenError::Malformed("signature is not base64url".into()))?;

    if claims.iss != exp.issuer {
        return Err(TokenError::Issuer { got: claims.iss });
    }
    if claims.aud != exp.service {
        return Err(TokenError::Audience { got: claims.aud });
    }
    if now > claims.exp.saturating_add(LEEWAY_SECS) {
        return Err(TokenError::Expired {
            exp: claims.exp,
            now,
        });
    }
    if now < claims.nbf.saturating_sub(LEEWAY_SECS) {
        return Err(TokenError::NotYetValid {
            nbf: claims.nbf,
            now,
        });
    }
    if signature.is_empty() {
        return Err(TokenError::NoSignature);
    }
    let key = signing_key(&header, exp.roots).map_err(TokenError::UntrustedKey)?;
    let signed_len = header_b64.len() + 1 + claims_b64.len();
    key.verify(&header.alg, &raw.as_bytes()[..signed_len], &signature)
        .map_err(TokenError::Signature)?;
    Ok(VerifiedToken {
        expires_at: claims.exp,
        not_before: claims.nbf,
        access: claims.access,
    })
}

/// The trusted key that signed the token: from `x5c`, else `jwk`, else `kid`.
fn signing_key(header: &Header, roots: &RootBundle) -> Result<PublicKey, String> {
    if let Some(x5c) = &header.x5c {
        return roots.verify_x5c(x5c);
    }
    if let Some(jwk) = &header.jwk {
        let key = PublicKey::from_jwk(jwk)?;
        if let Some(chain) = jwk.get("x5c").and_then(Value::as_array) {
            let leaf = roots.verify_x5c(chain)?;
            if leaf != key {
                return Err("jwk does not match the leaf certificate of its x5c chain".into());
            }
            return Ok(key);
        }
        if roots.contains_key(&key) {
            return Ok(key);
        }
        return Err("jwk is not the key of a root bundle certificate".into());
    }
    if let Some(kid) = &header.kid {
        return roots
            .key_by_id(kid)
            .cloned()
            .ok_or_else(|| format!("kid {kid:?} is not the key ID of a root bundle certificate"));
    }
    Err("token header has no x5c, jwk or kid".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    use serde_json::json;

    struct Fixture {
        roots: RootBundle,
        key: EcdsaKeyPair,
        kid: String,
    }

    fn fixture() -> Fixture {
        let kp = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let cert = p.self_signed(&kp).unwrap();
        let roots = RootBundle::from_pem(cert.pem().as_bytes()).unwrap();
        let kid = roots.keys[0].kid.clone();
        let key = EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            &kp.serialize_der(),
            &ring::rand::SystemRandom::new(),
        )
        .unwrap();
        Fixture { roots, key, kid }
    }

    impl Fixture {
        fn token(&self, claims: Value) -> String {
            let header = json!({"alg": "ES256", "kid": self.kid});
            let input = format!(
                "{}.{}",
                URL_SAFE_NO_PAD.encode(header.to_string()),
                URL_SAFE_NO_PAD.encode(claims.to_string())
            );
            let sig = self
                .key
                .sign(&ring::rand::SystemRandom::new(), input.as_bytes())
                .unwrap();
            format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
        }

        fn check(&self, claims: Value, now: i64) -> Result<VerifiedToken, TokenError> {
            let exp = Expectations {
                issuer: "iss",
                service: "svc",
                roots: &self.roots,
            };
            verify(&self.token(claims), &exp, now)
        }
    }

    #[test]
    fn claim_rules_and_leeway_boundaries() {
        let f = fixture();
        let base = json!({"iss": "iss", "aud": "svc", "exp": 1000, "nbf": 500,
            "access": [{"type": "repository", "name": "g", "actions": ["pull"]}]});
        let t = f.check(base.clone(), 1060).unwrap();
        assert_eq!(t.access[0].name, "g");
        assert_eq!(
            f.check(base.clone(), 1061).unwrap_err(),
            TokenError::Expired {
                exp: 1000,
                now: 1061
            }
        );
        assert!(f.check(base.clone(), 440).is_ok());
        assert_eq!(
            f.check(base.clone(), 439).unwrap_err(),
            TokenError::NotYetValid { nbf: 500, now: 439 }
        );
        let mut c = base.clone();
        c["aud"] = json!(["svc"]);
        assert!(matches!(
            f.check(c, 900).unwrap_err(),
            TokenError::Malformed(_)
        ));
        let mut c = base.clone();
        c.as_object_mut().unwrap().remove("iss");
        assert_eq!(
            f.check(c, 900).unwrap_err(),
            TokenError::Issuer { got: String::new() }
        );
        let mut c = base.clone();
        c.as_object_mut().unwrap().remove("exp");
        assert!(matches!(
            f.check(c, 900).unwrap_err(),
            TokenError::Expired { exp: 0, .. }
        ));
        let mut c = base;
        c["aud"] = json!("other");
        assert_eq!(
            f.check(c, 900).unwrap_err(),
            TokenError::Audience {
                got: "other".into()
            }
        );
    }
}

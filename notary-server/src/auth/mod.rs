//! Docker registry token authentication (spec-server §8): `auth.type: token` configuration,
//! Bearer JWT verification against `rootcertbundle`, per-route access records, the 401
//! challenge, and an actix middleware that runs before any handler reads the request body.

pub mod access;
pub mod cache;
pub mod config;
pub mod jwt;
pub mod middleware;
pub mod token_keys;

use std::sync::Arc;

pub use config::AuthConfig;
pub use middleware::Authenticate;

use access::{AccessRecord, ChallengeError};
use cache::TokenCache;
use jwt::{Expectations, TokenError};

/// base64url with or without padding (Go's `joseBase64UrlDecode` re-pads before decoding).
pub(crate) fn b64url_decode(s: &str) -> Result<Vec<u8>, base64::DecodeError> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s.trim_end_matches('='))
}

/// Why a request was refused (logged with the route; never contains the token).
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("no bearer token in the Authorization header")]
    NoToken,
    #[error("{0}")]
    Invalid(#[from] TokenError),
    #[error("token does not grant {typ}:{name}:{action}")]
    InsufficientScope {
        typ: String,
        name: String,
        action: String,
    },
}

impl Refusal {
    fn challenge_error(&self) -> ChallengeError {
        match self {
            Refusal::NoToken => ChallengeError::None,
            Refusal::Invalid(_) => ChallengeError::InvalidToken,
            Refusal::InsufficientScope { .. } => ChallengeError::InsufficientScope,
        }
    }
}

/// The token access controller: configuration plus the verified-token cache.
pub struct TokenAuth {
    pub config: AuthConfig,
    cache: TokenCache,
}

impl TokenAuth {
    pub fn new(config: AuthConfig) -> TokenAuth {
        TokenAuth {
            config,
            cache: TokenCache::default(),
        }
    }

    /// Checks an `Authorization` header value against the required records at `now`.
    pub fn authorize(
        &self,
        authorization: Option<&[u8]>,
        required: &[AccessRecord],
        now: i64,
    ) -> Result<(), Refusal> {
        let raw = bearer_token(authorization).ok_or(Refusal::NoToken)?;
        let raw = std::str::from_utf8(raw)
            .map_err(|_| TokenError::Malformed("token is not UTF-8".into()))?;
        let token = match self.cache.get(raw, now) {
            Some(t) => t,
            None => {
                let expect = Expectations {
                    issuer: &self.config.issuer,
                    service: &self.config.service,
                    roots: &self.config.roots,
                };
                let verified = jwt::verify(raw, &expect, now)?;
                self.cache.insert(raw, verified, now)
            }
        };
        match access::first_missing(&token.access, required) {
            None => Ok(()),
            Some(r) => Err(Refusal::InsufficientScope {
                typ: r.typ.clone(),
                name: r.name.clone(),
                action: r.action.clone(),
            }),
        }
    }

    /// The realm to advertise: the configured one, or `https://<Host>/auth/token` with
    /// `autoredirect`.
    pub fn realm(&self, host: Option<&str>) -> String {
        match (self.config.autoredirect, host) {
            (true, Some(h)) => format!("https://{h}/auth/token"),
            _ => self.config.realm.clone(),
        }
    }

    /// The 401 response for a refusal.
    pub fn refuse(
        &self,
        refusal: &Refusal,
        required: &[AccessRecord],
        host: Option<&str>,
    ) -> actix_web::HttpResponse {
        let challenge = access::challenge(
            &self.realm(host),
            &self.config.service,
            required,
            refusal.challenge_error(),
        );
        access::unauthorized(&challenge, required)
    }
}

/// `Bearer <token>`: exactly two parts when split on single spaces, the first `bearer` in any
/// case (docker/distribution's rule); anything else counts as no token.
fn bearer_token(header: Option<&[u8]>) -> Option<&[u8]> {
    let header = header?;
    let mut parts = header.split(|&b| b == b' ');
    let (scheme, token) = (parts.next()?, parts.next()?);
    if parts.next().is_some() || !scheme.eq_ignore_ascii_case(b"bearer") {
        return None;
    }
    Some(token)
}

/// Shared controller handle.
pub type SharedAuth = Arc<TokenAuth>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_header_rules() {
        assert_eq!(bearer_token(Some(b"Bearer abc")), Some(&b"abc"[..]));
        assert_eq!(bearer_token(Some(b"bEaReR abc")), Some(&b"abc"[..]));
        assert_eq!(bearer_token(Some(b"Bearer  abc")), None);
        assert_eq!(bearer_token(Some(b"Bearer abc def")), None);
        assert_eq!(bearer_token(Some(b"Basic abc")), None);
        assert_eq!(bearer_token(Some(b"Bearer")), None);
        assert_eq!(bearer_token(Some(b"Bearer ")), Some(&b""[..]));
        assert_eq!(bearer_token(None), None);
    }
}

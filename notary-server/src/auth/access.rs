//! Access records required per route (spec-server §8.2), the grant check, and the 401 response
//! with its `WWW-Authenticate` challenge (§8.4).

use actix_web::http::header::{HeaderValue, WWW_AUTHENTICATE};
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use serde::Serialize;

use super::jwt::ResourceActions;
use crate::http::error::envelope;
use crate::http::routes::{Operation, Scope};

/// One required (type, name, action), serialized with Go's field names for the 401 detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessRecord {
    #[serde(rename = "Type")]
    pub typ: String,
    #[serde(rename = "Class")]
    pub class: String,
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Action")]
    pub action: String,
}

impl AccessRecord {
    fn new(typ: &str, name: &str, action: &str) -> AccessRecord {
        AccessRecord {
            typ: typ.into(),
            class: String::new(),
            name: name.into(),
            action: action.into(),
        }
    }
}

/// What a route needs (its row's [`Scope`]): `None` for health and metrics.
pub fn required(op: Operation, gun: &str) -> Option<Vec<AccessRecord>> {
    let repo = |actions: &[&str]| {
        Some(
            actions
                .iter()
                .map(|a| AccessRecord::new("repository", gun, a))
                .collect(),
        )
    };
    match op.route().scope {
        Scope::Open => None,
        Scope::PushPull => repo(&["push", "pull"]),
        Scope::Pull => repo(&["pull"]),
        Scope::All => repo(&["*"]),
        Scope::Catalog => Some(vec![AccessRecord::new("registry", "catalog", "*")]),
    }
}

/// The first required record the token's grants do not cover (a grant of `*` covers every
/// action on its resource; the `class` of a grant is ignored, as in docker/distribution).
pub fn first_missing<'a>(
    grants: &[ResourceActions],
    required: &'a [AccessRecord],
) -> Option<&'a AccessRecord> {
    required.iter().find(|r| {
        !grants.iter().any(|g| {
            g.typ == r.typ
                && g.name == r.name
                && g.actions.iter().any(|a| a == "*" || *a == r.action)
        })
    })
}

/// Go `%q` for the strings that can reach a challenge (config values and GUNs).
fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `type:name:action1,action2` per resource, resources in first-seen order, space-separated.
fn scope_param(records: &[AccessRecord]) -> String {
    let mut scopes: Vec<(&str, &str, Vec<&str>)> = Vec::new();
    for r in records {
        match scopes
            .iter_mut()
            .find(|(t, n, _)| *t == r.typ && *n == r.name)
        {
            Some((_, _, actions)) => actions.push(&r.action),
            None => scopes.push((&r.typ, &r.name, vec![&r.action])),
        }
    }
    scopes
        .iter()
        .map(|(t, n, a)| format!("{t}:{n}:{}", a.join(",")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `error=` value of a challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeError {
    /// No usable `Authorization: Bearer` header: no `error` parameter.
    None,
    InvalidToken,
    InsufficientScope,
}

/// `Bearer realm="…",service="…",scope="…"[,error="…"]`.
pub fn challenge(
    realm: &str,
    service: &str,
    records: &[AccessRecord],
    err: ChallengeError,
) -> String {
    let mut s = format!(
        "Bearer realm={},service={}",
        go_quote(realm),
        go_quote(service)
    );
    let scope = scope_param(records);
    if !scope.is_empty() {
        s.push_str(",scope=");
        s.push_str(&go_quote(&scope));
    }
    match err {
        ChallengeError::None => {}
        ChallengeError::InvalidToken => s.push_str(",error=\"invalid_token\""),
        ChallengeError::InsufficientScope => s.push_str(",error=\"insufficient_scope\""),
    }
    s
}

/// The 401 `UNAUTHORIZED` envelope with the required records as `detail`, byte-compatible
/// with Go's `json.Encoder` (HTML escaping, trailing newline).
pub fn unauthorized_body(records: &[AccessRecord]) -> String {
    let detail = serde_json::to_string(records).unwrap_or_else(|_| "[]".into());
    envelope("UNAUTHORIZED", "authentication required", Some(&detail))
}

/// The full 401 response.
pub fn unauthorized(challenge: &str, records: &[AccessRecord]) -> HttpResponse {
    let mut resp = HttpResponse::build(StatusCode::UNAUTHORIZED);
    resp.content_type("application/json; charset=utf-8");
    if let Ok(v) = HeaderValue::from_bytes(challenge.as_bytes()) {
        resp.insert_header((WWW_AUTHENTICATE, v));
    }
    resp.body(unauthorized_body(records))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_and_body_match_go() {
        let recs = required(Operation::UpdateTuf, "docker.io/a/b").unwrap();
        assert_eq!(
            challenge("https://auth/token", "notary", &recs, ChallengeError::None),
            "Bearer realm=\"https://auth/token\",service=\"notary\",scope=\"repository:docker.io/a/b:push,pull\""
        );
        assert_eq!(
            unauthorized_body(&recs),
            "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\",\"detail\":[{\"Type\":\"repository\",\"Class\":\"\",\"Name\":\"docker.io/a/b\",\"Action\":\"push\"},{\"Type\":\"repository\",\"Class\":\"\",\"Name\":\"docker.io/a/b\",\"Action\":\"pull\"}]}]}\n"
        );
        let cat = required(Operation::Base, "").unwrap();
        assert_eq!(
            challenge("r", "s\"x", &cat, ChallengeError::InsufficientScope),
            "Bearer realm=\"r\",service=\"s\\\"x\",scope=\"registry:catalog:*\",error=\"insufficient_scope\""
        );
        assert!(required(Operation::Health, "").is_none());
        assert!(required(Operation::HealthLive, "").is_none());
        assert!(required(Operation::HealthReady, "").is_none());
    }

    #[test]
    fn grants() {
        let recs = required(Operation::UpdateTuf, "g").unwrap();
        let g = |name: &str, actions: &[&str]| ResourceActions {
            typ: "repository".into(),
            name: name.into(),
            actions: actions.iter().map(|s| s.to_string()).collect(),
        };
        assert!(first_missing(&[g("g", &["pull", "push"])], &recs).is_none());
        assert!(first_missing(&[g("g", &["*"])], &recs).is_none());
        assert_eq!(
            first_missing(&[g("g", &["pull"])], &recs).map(|r| r.action.as_str()),
            Some("push")
        );
        assert!(first_missing(&[g("other", &["*"])], &recs).is_some());
    }
}

//! The one route table (spec-server §1.1, plus our health and metrics routes): each row says
//! the method, the path pattern, the operation, the access it needs under token auth, whether
//! it has a GUN, and whether it is counted in the request metrics. Rows are matched in order
//! (= Go's registration order = priority) against the percent-decoded path.
//!
//! Adding a route: add an [`Operation`], a row to [`ROUTES`], and its arm in
//! `super::dispatch::handle`.

use std::cell::RefCell;
use std::collections::HashMap;

use actix_web::http::Method;
use regex::Regex;

/// Which handler a request goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `GET /v2/`.
    Base,
    /// Publish: `POST /v2/<gun>/_trust/tuf/`.
    UpdateTuf,
    /// `GET …/<role>.<checksum>.json`.
    GetRoleByHash,
    /// `GET …/<version>.<role>.json`.
    GetRoleByVersion,
    /// `GET …/<role>.json`.
    GetRole,
    /// `GET …/{timestamp,snapshot}.key`.
    GetKey,
    /// `POST …/{timestamp,snapshot}.key`.
    RotateKey,
    /// `DELETE /v2/<gun>/_trust/tuf/`.
    DeleteTuf,
    /// `GET /v2/<gun>/_trust/changefeed`.
    Changefeed,
    /// `GET /v2/_trust/changefeed`.
    GlobalChangefeed,
    /// `GET /_notary_server/health`.
    Health,
    /// `/_notary_server/health/live`: the process serves (no dependency checks).
    HealthLive,
    /// `/_notary_server/health/ready`: the checks of [`Operation::Health`].
    HealthReady,
    /// `GET /metrics`.
    Metrics,
    /// Go's catch-all: 404 `METADATA_NOT_FOUND`.
    NotFound,
}

/// Access a route needs under token auth (spec-server §8.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Never authenticated (health, metrics).
    Open,
    /// `repository:<gun>:pull`.
    Pull,
    /// `repository:<gun>:push,pull`.
    PushPull,
    /// `repository:<gun>:*`.
    All,
    /// `registry:catalog:*` (routes without a GUN).
    Catalog,
}

/// Which methods a row takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// `DELETE`.
    Delete,
    /// Go's catch-all methods: GET, POST, PUT, HEAD, DELETE.
    CatchAll,
}

impl Verb {
    fn accepts(self, m: &Method) -> bool {
        match self {
            Verb::Get => m == Method::GET,
            Verb::Post => m == Method::POST,
            Verb::Delete => m == Method::DELETE,
            Verb::CatchAll => [
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::HEAD,
                Method::DELETE,
            ]
            .contains(m),
        }
    }
}

/// One row of the table.
#[derive(Debug)]
pub struct Route {
    /// Methods taken.
    pub verb: Verb,
    /// Anchored regex; `{gun}` and `{role}` stand for the GUN and role-name patterns.
    pub pattern: &'static str,
    /// The handler.
    pub op: Operation,
    /// The operation name used as the metrics label (Go's names where Go has one).
    pub name: &'static str,
    /// Access needed under token auth.
    pub scope: Scope,
    /// Whether the path has a GUN (the GUN policy applies).
    pub has_gun: bool,
    /// Whether requests are counted in `notary_server_http_requests_total` and the latency
    /// histogram (health checks and scrapes are not).
    pub metered: bool,
}

const fn row(
    verb: Verb,
    pattern: &'static str,
    op: Operation,
    name: &'static str,
    scope: Scope,
    has_gun: bool,
    metered: bool,
) -> Route {
    Route {
        verb,
        pattern,
        op,
        name,
        scope,
        has_gun,
        metered,
    }
}

use Operation as O;
use Scope as S;
use Verb as V;

/// The table, in match order; the last row is the catch-all.
pub static ROUTES: [Route; 15] = [
    row(V::Get, r"^/v2/$", O::Base, "Base", S::Catalog, false, true),
    row(
        V::Post,
        r"^/v2/{gun}/_trust/tuf/$",
        O::UpdateTuf,
        "UpdateTUF",
        S::PushPull,
        true,
        true,
    ),
    row(
        V::Get,
        r"^/v2/{gun}/_trust/tuf/(?P<role>{role})\.(?P<checksum>[a-fA-F0-9]{64}|[a-fA-F0-9]{96}|[a-fA-F0-9]{128})\.json$",
        O::GetRoleByHash,
        "GetRoleByHash",
        S::Pull,
        true,
        true,
    ),
    row(
        V::Get,
        r"^/v2/{gun}/_trust/tuf/(?P<version>[1-9]*[0-9]+)\.(?P<role>{role})\.json$",
        O::GetRoleByVersion,
        "GetRoleByVersion",
        S::Pull,
        true,
        true,
    ),
    row(
        V::Get,
        r"^/v2/{gun}/_trust/tuf/(?P<role>{role})\.json$",
        O::GetRole,
        "GetRole",
        S::Pull,
        true,
        true,
    ),
    row(
        V::Get,
        r"^/v2/{gun}/_trust/tuf/(?P<role>snapshot|timestamp)\.key$",
        O::GetKey,
        "GetKey",
        S::PushPull,
        true,
        true,
    ),
    row(
        V::Post,
        r"^/v2/{gun}/_trust/tuf/(?P<role>snapshot|timestamp)\.key$",
        O::RotateKey,
        "RotateKey",
        S::All,
        true,
        true,
    ),
    row(
        V::Delete,
        r"^/v2/{gun}/_trust/tuf/$",
        O::DeleteTuf,
        "DeleteTUF",
        S::All,
        true,
        true,
    ),
    row(
        V::Get,
        r"^/v2/{gun}/_trust/changefeed$",
        O::Changefeed,
        "Changefeed",
        S::Pull,
        true,
        true,
    ),
    row(
        V::Get,
        r"^/v2/_trust/changefeed$",
        O::GlobalChangefeed,
        "GlobalChangefeed",
        S::Catalog,
        false,
        true,
    ),
    row(
        V::Get,
        r"^/_notary_server/health$",
        O::Health,
        "Health",
        S::Open,
        false,
        false,
    ),
    row(
        V::Get,
        r"^/_notary_server/health/live$",
        O::HealthLive,
        "HealthLive",
        S::Open,
        false,
        false,
    ),
    row(
        V::Get,
        r"^/_notary_server/health/ready$",
        O::HealthReady,
        "HealthReady",
        S::Open,
        false,
        false,
    ),
    row(
        V::Get,
        r"^/metrics$",
        O::Metrics,
        "Metrics",
        S::Open,
        false,
        false,
    ),
    row(
        V::CatchAll,
        r"(?s)^.*$",
        O::NotFound,
        "NotFound",
        S::Catalog,
        false,
        true,
    ),
];

impl Operation {
    /// This operation's row.
    pub fn route(self) -> &'static Route {
        // Every operation has exactly one row (unit-tested); the catch-all is the fallback.
        ROUTES
            .iter()
            .find(|r| r.op == self)
            .unwrap_or(&ROUTES[ROUTES.len() - 1])
    }

    /// The operation name used as the metrics label.
    pub fn name(self) -> &'static str {
        self.route().name
    }
}

/// Variables captured from the path.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Params {
    pub gun: String,
    pub role: String,
    pub checksum: String,
    pub version: String,
}

/// The outcome of routing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Routed {
    Matched(Operation, Params),
    /// No route accepts this method (only possible for methods the catch-all does not take).
    MethodNotAllowed,
}

/// gorilla/mux's `cleanPath`: `path.Clean` semantics (no `//`, `.` or `..` segments) keeping a
/// trailing slash (Go's router redirects to it; we refuse unclean paths, see [`is_clean`]). Kept
/// as the reference [`is_clean`] is tested against.
#[cfg(test)]
fn clean_path(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    let mut cleaned = format!("/{}", out.join("/"));
    if p.ends_with('/') && cleaned != "/" {
        cleaned.push('/');
    }
    cleaned
}

/// Whether `p` is in gorilla/mux's clean form, without allocating: absolute, with no empty,
/// `.` or `..` segment (a trailing `/` is allowed).
pub fn is_clean(p: &str) -> bool {
    p.starts_with('/')
        && !p.contains("//")
        && !p.contains("/./")
        && !p.contains("/../")
        && !p.ends_with("/.")
        && !p.ends_with("/..")
}

/// Role-name pattern of the Go router.
const ROLE: &str = r"root|targets(?:/[^/\s]+)*|snapshot|timestamp";

/// Longest GET path whose routing result is memoised.
const MEMO_MAX_PATH: usize = 256;
/// Memoised paths per thread (the memo is cleared when full).
const MEMO_MAX_ENTRIES: usize = 1024;

thread_local! {
    /// Recent GET routing results of this thread (path -> result). Matching the table costs
    /// several regex searches with captures per request, while the hot reads repeat the same
    /// few paths (`…/timestamp.json` of popular repositories). Every [`Router`] holds the same
    /// constant table, so one memo per thread serves them all; per thread, so no lock.
    static MEMO: RefCell<HashMap<Box<str>, Routed>> = RefCell::new(HashMap::new());
}

/// The compiled table.
pub struct Router {
    routes: Vec<(&'static Route, Regex)>,
}

/// GUN pattern: anything without `*` (Go's `[^*]+`).
const GUN: &str = r"(?P<gun>[^*]+)";

impl Router {
    /// Compiles the table. The patterns are constants, so compilation cannot fail at run time;
    /// a unit test compiles them.
    pub fn new() -> Result<Router, regex::Error> {
        let routes = ROUTES
            .iter()
            .map(|r| {
                let re = r.pattern.replace("{gun}", GUN).replace("{role}", ROLE);
                Ok((r, Regex::new(&re)?))
            })
            .collect::<Result<Vec<_>, regex::Error>>()?;
        Ok(Router { routes })
    }

    /// Routes a decoded path.
    pub fn route(&self, method: &Method, path: &str) -> Routed {
        if method != Method::GET || path.len() > MEMO_MAX_PATH {
            return self.route_uncached(method, path);
        }
        if let Some(r) = MEMO.with(|m| m.borrow().get(path).cloned()) {
            return r;
        }
        let r = self.route_uncached(method, path);
        MEMO.with(|m| {
            let mut m = m.borrow_mut();
            if m.len() >= MEMO_MAX_ENTRIES {
                m.clear();
            }
            m.insert(path.into(), r.clone());
        });
        r
    }

    /// Matches the table in order.
    fn route_uncached(&self, method: &Method, path: &str) -> Routed {
        for (route, re) in &self.routes {
            if !route.verb.accepts(method) {
                continue;
            }
            if let Some(c) = re.captures(path) {
                let get = |n: &str| {
                    c.name(n)
                        .map(|v| v.as_str().to_string())
                        .unwrap_or_default()
                };
                return Routed::Matched(
                    route.op,
                    Params {
                        gun: get("gun"),
                        role: get("role"),
                        checksum: get("checksum"),
                        version: get("version"),
                    },
                );
            }
        }
        Routed::MethodNotAllowed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(m: Method, p: &str) -> (Operation, Params) {
        match Router::new().unwrap().route(&m, p) {
            Routed::Matched(op, params) => (op, params),
            Routed::MethodNotAllowed => panic!("405"),
        }
    }

    #[test]
    fn every_operation_has_one_row() {
        for op in [
            O::Base,
            O::UpdateTuf,
            O::GetRoleByHash,
            O::GetRoleByVersion,
            O::GetRole,
            O::GetKey,
            O::RotateKey,
            O::DeleteTuf,
            O::Changefeed,
            O::GlobalChangefeed,
            O::Health,
            O::HealthLive,
            O::HealthReady,
            O::Metrics,
            O::NotFound,
        ] {
            assert_eq!(ROUTES.iter().filter(|r| r.op == op).count(), 1, "{op:?}");
            assert_eq!(op.route().op, op);
        }
        assert_eq!(ROUTES.len(), 15);
    }

    #[test]
    fn path_cleaning() {
        assert_eq!(clean_path("/v2/"), "/v2/");
        assert_eq!(clean_path("/v2//a/./b/../c"), "/v2/a/c");
        assert_eq!(clean_path("/v2/a/_trust/tuf/"), "/v2/a/_trust/tuf/");
        assert_eq!(clean_path("/.."), "/");
        assert_eq!(clean_path(""), "/");
    }

    #[test]
    fn is_clean_agrees_with_clean_path() {
        // Every path of up to 8 characters over the characters that matter.
        let alphabet = ['/', '.', 'a'];
        let mut paths = vec![String::new()];
        let mut all = Vec::new();
        for _ in 0..8 {
            let mut next = Vec::new();
            for p in &paths {
                for c in alphabet {
                    next.push(format!("{p}{c}"));
                }
            }
            all.extend(next.iter().cloned());
            paths = next;
        }
        for p in all {
            assert_eq!(is_clean(&p), clean_path(&p) == p, "{p:?}");
        }
    }

    #[test]
    fn memoised_routing_matches_the_table() {
        let router = Router::new().unwrap();
        let sha = "b".repeat(64);
        let paths = [
            "/v2/".to_string(),
            "/v2/g/_trust/tuf/timestamp.json".into(),
            "/v2/g/_trust/tuf/5.targets/_trust/tuf/timestamp.json".into(),
            format!("/v2/a/b/_trust/tuf/snapshot.{sha}.json"),
            "/v2/a/_trust/changefeed".into(),
            "/v2/a/_trust/tuf/timestamp.key".into(),
            "/metrics".into(),
            "/nope".into(),
            format!("/v2/{}/_trust/tuf/root.json", "x".repeat(300)),
        ];
        for _ in 0..2 {
            for p in &paths {
                for m in [Method::GET, Method::POST, Method::DELETE, Method::PATCH] {
                    assert_eq!(router.route(&m, p), router.route_uncached(&m, p), "{m} {p}");
                }
            }
        }
        assert_eq!(
            router.route(
                &Method::GET,
                "/v2/g/_trust/tuf/5.targets/_trust/tuf/timestamp.json"
            ),
            Routed::Matched(
                Operation::GetRoleByVersion,
                Params {
                    gun: "g".into(),
                    role: "targets/_trust/tuf/timestamp".into(),
                    checksum: String::new(),
                    version: "5".into(),
                }
            )
        );
    }

    #[test]
    fn table_priorities() {
        let sha = "a".repeat(64);
        let (op, p) = r(
            Method::GET,
            &format!("/v2/docker.io/library/alpine/_trust/tuf/root.{sha}.json"),
        );
        assert_eq!(op, Operation::GetRoleByHash);
        assert_eq!(p.gun, "docker.io/library/alpine");
        assert_eq!(p.checksum, sha);
        let (op, p) = r(Method::GET, "/v2/g/_trust/tuf/3.root.json");
        assert_eq!(
            (op, p.version.as_str(), p.role.as_str()),
            (Operation::GetRoleByVersion, "3", "root")
        );
        let (op, p) = r(Method::GET, "/v2/a/b/_trust/tuf/targets/releases.json");
        assert_eq!(
            (op, p.gun.as_str(), p.role.as_str()),
            (Operation::GetRole, "a/b", "targets/releases")
        );
        let cases = [
            (
                Method::GET,
                "/v2/g/_trust/tuf/root.key",
                Operation::NotFound,
            ),
            (
                Method::GET,
                "/v2/g/_trust/tuf/timestamp.key",
                Operation::GetKey,
            ),
            (
                Method::POST,
                "/v2/g/_trust/tuf/snapshot.key",
                Operation::RotateKey,
            ),
            (Method::DELETE, "/v2/g/_trust/tuf/", Operation::DeleteTuf),
            (Method::POST, "/v2/g/_trust/tuf/", Operation::UpdateTuf),
            (
                Method::GET,
                "/v2/_trust/changefeed",
                Operation::GlobalChangefeed,
            ),
            (
                Method::GET,
                "/v2/g/_trust/changefeed",
                Operation::Changefeed,
            ),
            (
                Method::HEAD,
                "/v2/g/_trust/tuf/root.json",
                Operation::NotFound,
            ),
            (Method::GET, "/v2", Operation::NotFound),
            (
                Method::GET,
                "/_notary_server/health/live",
                Operation::HealthLive,
            ),
            (
                Method::GET,
                "/_notary_server/health/ready",
                Operation::HealthReady,
            ),
            (
                Method::GET,
                "/_notary_server/health/other",
                Operation::NotFound,
            ),
            (
                Method::GET,
                "/v2/g*/_trust/tuf/root.json",
                Operation::NotFound,
            ),
            (Method::PUT, "/v2/a\nb", Operation::NotFound),
        ];
        for (method, path, want) in cases {
            assert_eq!(r(method.clone(), path).0, want, "{method} {path}");
        }
        assert_eq!(
            Router::new().unwrap().route(&Method::PATCH, "/v2/"),
            Routed::MethodNotAllowed
        );
    }
}

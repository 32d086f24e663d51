//! The URL table of the Go server (spec-server §1.1), in registration order (= match priority),
//! matched against the percent-decoded path.

use actix_web::http::Method;
use regex::Regex;

/// Which handler a request goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Base,
    UpdateTuf,
    GetRoleByHash,
    GetRoleByVersion,
    GetRole,
    GetKey,
    RotateKey,
    DeleteTuf,
    Changefeed,
    GlobalChangefeed,
    Health,
    Metrics,
    NotFound,
}

impl Operation {
    /// The operation name used as the metrics label (Go's names where Go has one).
    pub fn name(self) -> &'static str {
        match self {
            Operation::Base => "Base",
            Operation::UpdateTuf => "UpdateTUF",
            Operation::GetRoleByHash => "GetRoleByHash",
            Operation::GetRoleByVersion => "GetRoleByVersion",
            Operation::GetRole => "GetRole",
            Operation::GetKey => "GetKey",
            Operation::RotateKey => "RotateKey",
            Operation::DeleteTuf => "DeleteTUF",
            Operation::Changefeed => "Changefeed",
            Operation::GlobalChangefeed => "GlobalChangefeed",
            Operation::Health => "Health",
            Operation::Metrics => "Metrics",
            Operation::NotFound => "NotFound",
        }
    }

    /// Whether the route has a `gun` variable (prefix filter and GUN limits apply).
    pub fn has_gun(self) -> bool {
        matches!(
            self,
            Operation::UpdateTuf
                | Operation::GetRoleByHash
                | Operation::GetRoleByVersion
                | Operation::GetRole
                | Operation::GetKey
                | Operation::RotateKey
                | Operation::DeleteTuf
                | Operation::Changefeed
        )
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
/// trailing slash. The router answers 301 to the cleaned path when it differs.
pub fn clean_path(p: &str) -> String {
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

const ROLE: &str = r"root|targets(?:/[^/\s]+)*|snapshot|timestamp";

/// The compiled table.
pub struct Router {
    routes: Vec<(Method, Operation, Regex)>,
}

impl Router {
    /// Compiles the table. The patterns are constants, so compilation cannot fail at run time;
    /// a unit test compiles them.
    pub fn new() -> Result<Router, regex::Error> {
        let gun = r"(?P<gun>[^*]+)";
        let table: Vec<(Method, Operation, String)> = vec![
            (Method::GET, Operation::Base, r"^/v2/$".into()),
            (
                Method::POST,
                Operation::UpdateTuf,
                format!(r"^/v2/{gun}/_trust/tuf/$"),
            ),
            (
                Method::GET,
                Operation::GetRoleByHash,
                format!(
                    r"^/v2/{gun}/_trust/tuf/(?P<role>{ROLE})\.(?P<checksum>[a-fA-F0-9]{{64}}|[a-fA-F0-9]{{96}}|[a-fA-F0-9]{{128}})\.json$"
                ),
            ),
            (
                Method::GET,
                Operation::GetRoleByVersion,
                format!(
                    r"^/v2/{gun}/_trust/tuf/(?P<version>[1-9]*[0-9]+)\.(?P<role>{ROLE})\.json$"
                ),
            ),
            (
                Method::GET,
                Operation::GetRole,
                format!(r"^/v2/{gun}/_trust/tuf/(?P<role>{ROLE})\.json$"),
            ),
            (
                Method::GET,
                Operation::GetKey,
                format!(r"^/v2/{gun}/_trust/tuf/(?P<role>snapshot|timestamp)\.key$"),
            ),
            (
                Method::POST,
                Operation::RotateKey,
                format!(r"^/v2/{gun}/_trust/tuf/(?P<role>snapshot|timestamp)\.key$"),
            ),
            (
                Method::DELETE,
                Operation::DeleteTuf,
                format!(r"^/v2/{gun}/_trust/tuf/$"),
            ),
            (
                Method::GET,
                Operation::Changefeed,
                format!(r"^/v2/{gun}/_trust/changefeed$"),
            ),
            (
                Method::GET,
                Operation::GlobalChangefeed,
                r"^/v2/_trust/changefeed$".into(),
            ),
            (
                Method::GET,
                Operation::Health,
                r"^/_notary_server/health$".into(),
            ),
            (Method::GET, Operation::Metrics, r"^/metrics$".into()),
        ];
        let routes = table
            .into_iter()
            .map(|(m, op, re)| Ok((m, op, Regex::new(&re)?)))
            .collect::<Result<Vec<_>, regex::Error>>()?;
        Ok(Router { routes })
    }

    /// Routes a decoded path.
    pub fn route(&self, method: &Method, path: &str) -> Routed {
        for (m, op, re) in &self.routes {
            if m != method {
                continue;
            }
            if let Some(c) = re.captures(path) {
                let get = |n: &str| {
                    c.name(n)
                        .map(|v| v.as_str().to_string())
                        .unwrap_or_default()
                };
                return Routed::Matched(
                    *op,
                    Params {
                        gun: get("gun"),
                        role: get("role"),
                        checksum: get("checksum"),
                        version: get("version"),
                    },
                );
            }
        }
        // The catch-all `/{other:.*}` takes these methods on every path.
        if [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::HEAD,
            Method::DELETE,
        ]
        .contains(method)
        {
            Routed::Matched(Operation::NotFound, Params::default())
        } else {
            Routed::MethodNotAllowed
        }
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
    fn path_cleaning() {
        assert_eq!(clean_path("/v2/"), "/v2/");
        assert_eq!(clean_path("/v2//a/./b/../c"), "/v2/a/c");
        assert_eq!(clean_path("/v2/a/_trust/tuf/"), "/v2/a/_trust/tuf/");
        assert_eq!(clean_path("/.."), "/");
        assert_eq!(clean_path(""), "/");
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
        assert_eq!(
            r(Method::GET, "/v2/g/_trust/tuf/root.key").0,
            Operation::NotFound
        );
        assert_eq!(
            r(Method::GET, "/v2/g/_trust/tuf/timestamp.key").0,
            Operation::GetKey
        );
        assert_eq!(
            r(Method::POST, "/v2/g/_trust/tuf/snapshot.key").0,
            Operation::RotateKey
        );
        assert_eq!(
            r(Method::DELETE, "/v2/g/_trust/tuf/").0,
            Operation::DeleteTuf
        );
        assert_eq!(r(Method::POST, "/v2/g/_trust/tuf/").0, Operation::UpdateTuf);
        assert_eq!(
            r(Method::GET, "/v2/_trust/changefeed").0,
            Operation::GlobalChangefeed
        );
        assert_eq!(
            r(Method::GET, "/v2/g/_trust/changefeed").0,
            Operation::Changefeed
        );
        assert_eq!(
            r(Method::HEAD, "/v2/g/_trust/tuf/root.json").0,
            Operation::NotFound
        );
        assert_eq!(r(Method::GET, "/v2").0, Operation::NotFound);
        assert_eq!(
            r(Method::GET, "/v2/g*/_trust/tuf/root.json").0,
            Operation::NotFound
        );
        assert_eq!(
            Router::new().unwrap().route(&Method::PATCH, "/v2/"),
            Routed::MethodNotAllowed
        );
    }
}

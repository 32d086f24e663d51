//! Database connection strings with their passwords hidden, for `Debug` output and logs.

/// `s` with any password replaced by `***`: the password of a `scheme://user:password@host`
/// URL (and a `password=` query parameter), or the value of `password=` in a libpq
/// `key=value` string. Anything else (a SQLite path) is returned as it is.
pub fn redact_db_url(s: &str) -> String {
    if s.contains("://") {
        return match url::Url::parse(s) {
            Ok(mut u) => {
                if u.password().is_some() {
                    // Cannot fail for a URL that already has a password (so a host).
                    let _ = u.set_password(Some("***"));
                }
                if u.query_pairs()
                    .any(|(k, _)| k.eq_ignore_ascii_case("password"))
                {
                    let pairs: Vec<(String, String)> = u
                        .query_pairs()
                        .map(|(k, v)| {
                            let v = if k.eq_ignore_ascii_case("password") {
                                "***".to_string()
                            } else {
                                v.into_owned()
                            };
                            (k.into_owned(), v)
                        })
                        .collect();
                    u.query_pairs_mut().clear().extend_pairs(pairs);
                }
                u.to_string()
            }
            // Not a URL we can read: show only the scheme.
            Err(_) => format!("{}://***", s.split("://").next().unwrap_or_default()),
        };
    }
    if s.contains('=') {
        return s
            .split_whitespace()
            .map(|kv| match kv.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => kv.to_string(),
            })
            .collect::<Vec<_>>()
            .join(" ");
    }
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::redact_db_url;

    #[test]
    fn passwords_are_hidden() {
        for (input, want) in [
            (
                "postgres://server:s3cret@db:5432/notaryserver?sslmode=verify-full",
                "postgres://server:***@db:5432/notaryserver?sslmode=verify-full",
            ),
            (
                "mysql://root:p%40ss@127.0.0.1:3306/notary",
                "mysql://root:***@127.0.0.1:3306/notary",
            ),
            (
                "postgres://db/notary?user=u&password=s3cret",
                "postgres://db/notary?user=u&password=***",
            ),
            (
                "host=db user=server password=s3cret dbname=notaryserver",
                "host=db user=server password=*** dbname=notaryserver",
            ),
            (
                "postgres://server@db/notaryserver",
                "postgres://server@db/notaryserver",
            ),
            ("/var/lib/notary/server.db", "/var/lib/notary/server.db"),
        ] {
            let got = redact_db_url(input);
            assert_eq!(got, want);
            assert!(!got.contains("s3cret") && !got.contains("p%40ss"));
        }
    }
}

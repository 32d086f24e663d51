//! MySQL/MariaDB connection strings: the Go configs' go-sql-driver DSNs, converted.

/// A `db_url` that is neither a `mysql://` URL nor a go-sql-driver DSN. It carries no text of
/// the value: that holds the password.
#[derive(Debug, thiserror::Error)]
#[error("not a mysql:// URL or a go-sql-driver DSN user:password@tcp(host:port)/dbname")]
pub struct InvalidDsn;

/// Accepts a `mysql://` URL as is, or converts a go-sql-driver DSN
/// `user:password@tcp(host:port)/dbname?params` to `mysql://user:password@host:port/dbname`
/// (user and password percent-encoded; parameters such as `parseTime=True` are Go-driver
/// specific and dropped). An empty address means `127.0.0.1:3306`, as in the Go driver.
pub fn url_from_go_dsn(raw: &str) -> Result<String, InvalidDsn> {
    if raw.starts_with("mysql://") {
        return Ok(raw.to_owned());
    }
    let bad = || InvalidDsn;
    let (userinfo, rest) = match raw.rsplit_once('@') {
        Some((u, r)) => (Some(u), r),
        None => (None, raw),
    };
    let (net, path) = rest.split_once('/').ok_or_else(bad)?;
    let db = path.split('?').next().unwrap_or_default();
    let addr = match net.split_once('(') {
        Some((_, inner)) => inner.strip_suffix(')').ok_or_else(bad)?,
        None if net.is_empty() => "127.0.0.1:3306",
        None => net,
    };
    let mut url = String::from("mysql://");
    if let Some(userinfo) = userinfo {
        let (user, password) = match userinfo.split_once(':') {
            Some((u, p)) => (u, Some(p)),
            None => (userinfo, None),
        };
        url.push_str(&percent_encode(user));
        if let Some(p) = password {
            url.push(':');
            url.push_str(&percent_encode(p));
        }
        url.push('@');
    }
    url.push_str(addr);
    url.push('/');
    url.push_str(db);
    Ok(url)
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_dsns_are_converted() {
        assert_eq!(
            url_from_go_dsn("root:p@ss@tcp(db:3306)/keys?parseTime=true").unwrap(),
            "mysql://root:p%40ss@db:3306/keys"
        );
        assert_eq!(
            url_from_go_dsn("server@tcp(mysql:3306)/notaryserver?parseTime=True").unwrap(),
            "mysql://server@mysql:3306/notaryserver"
        );
        assert_eq!(url_from_go_dsn("mysql://u@h/d").unwrap(), "mysql://u@h/d");
        assert_eq!(url_from_go_dsn("/d").unwrap(), "mysql://127.0.0.1:3306/d");
        assert!(url_from_go_dsn("u@tcp(db:3306").is_err());
        assert!(url_from_go_dsn("u@tcp(db:3306/x").is_err());
    }
}

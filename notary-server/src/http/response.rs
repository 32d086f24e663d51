//! Metadata responses (spec-server §4.5–4.6): the stored bytes with `ETag`, `Last-Modified`
//! and `Cache-Control`, or 304 when `If-None-Match` names the same bytes.

use std::cell::RefCell;
use std::sync::Arc;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};

use super::CacheConfig;
use crate::trust::File;

/// The `Content-Type` Go's server sends for metadata (Go's content sniffing of JSON text).
pub const TEXT_PLAIN: &str = "text/plain; charset=utf-8";

/// Which `Cache-Control` a response gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Current metadata (`<role>.json`): may change, clients must revalidate.
    Current,
    /// Metadata by version or checksum: never changes.
    Consistent,
}

/// The `Cache-Control` values of `caching.max_age`, formatted once at start-up.
#[derive(Debug, Clone)]
pub struct CacheHeaders {
    current: HeaderValue,
    consistent: HeaderValue,
    /// `Pragma: no-cache` goes with a max-age of 0.
    current_pragma: bool,
    consistent_pragma: bool,
}

impl CacheHeaders {
    /// `public, max-age=N, s-maxage=N[, must-revalidate]`, or no caching at all for 0.
    pub fn new(cfg: &CacheConfig) -> CacheHeaders {
        let value = |max_age: u32, must_revalidate: bool| {
            if max_age == 0 {
                return HeaderValue::from_static("max-age=0, no-cache, no-store");
            }
            let revalidate = if must_revalidate {
                ", must-revalidate"
            } else {
                ""
            };
            ascii_header(format!(
                "public, max-age={max_age}, s-maxage={max_age}{revalidate}"
            ))
        };
        CacheHeaders {
            current: value(cfg.current_metadata, true),
            consistent: value(cfg.consistent_metadata, false),
            current_pragma: cfg.current_metadata == 0,
            consistent_pragma: cfg.consistent_metadata == 0,
        }
    }
}

/// A header value from text that is visible ASCII by construction (hex, HTTP dates, numbers);
/// the fallback is unreachable and only avoids a panic path.
fn ascii_header(s: String) -> HeaderValue {
    HeaderValue::try_from(s).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `ETag` and `Last-Modified` of a file.
type Validators = (HeaderValue, HeaderValue);

/// The file a memo entry is for (its shared checksum and row time) and its validators.
type Memo = (Arc<str>, DateTime<Utc>, Validators);

thread_local! {
    /// The validators of the file this worker answered last, keyed by the file's shared
    /// checksum: a popular repository's cached timestamp is the same `File` request after
    /// request, so they are formatted once per worker and file, not per request.
    static LAST: RefCell<Option<Memo>> =
        const { RefCell::new(None) };
}

fn validators(file: &File) -> Validators {
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if let Some((sha, modified, v)) = last.as_ref() {
            // The memo holds its `Arc`, so the pointer cannot be reused by another file.
            if Arc::ptr_eq(sha, &file.sha256_hex) && *modified == file.modified {
                return v.clone();
            }
        }
        let v = (
            ascii_header(format!("\"{}\"", file.sha256_hex)),
            ascii_header(httpdate::fmt_http_date(file.modified.into())),
        );
        *last = Some((file.sha256_hex.clone(), file.modified, v.clone()));
        v
    })
}

/// 200 with the file, or 304 when the client has these bytes.
pub fn metadata(
    req: &HttpRequest,
    file: File,
    cache: &CacheHeaders,
    kind: Freshness,
) -> HttpResponse {
    let not_modified = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| {
                    t == "*"
                        || t.strip_prefix('"').and_then(|t| t.strip_suffix('"'))
                            == Some(&*file.sha256_hex)
                })
        });
    let mut resp = if not_modified {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    let (etag, last_modified) = validators(&file);
    resp.insert_header((header::LAST_MODIFIED, last_modified));
    resp.insert_header((header::ETAG, etag));
    let (cache_control, pragma) = match kind {
        Freshness::Current => (&cache.current, cache.current_pragma),
        Freshness::Consistent => (&cache.consistent, cache.consistent_pragma),
    };
    resp.insert_header((header::CACHE_CONTROL, cache_control.clone()));
    if pragma {
        resp.insert_header((header::PRAGMA, HeaderValue::from_static("no-cache")));
    }
    if not_modified {
        return resp.finish();
    }
    resp.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(TEXT_PLAIN)))
        .body(file.bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_control_values() {
        let h = CacheHeaders::new(&CacheConfig::default());
        assert_eq!(
            h.current,
            "public, max-age=300, s-maxage=300, must-revalidate"
        );
        assert_eq!(h.consistent, "public, max-age=2592000, s-maxage=2592000");
        assert!(!h.current_pragma && !h.consistent_pragma);
        let off = CacheHeaders::new(&CacheConfig {
            current_metadata: 0,
            consistent_metadata: 0,
        });
        assert_eq!(off.current, "max-age=0, no-cache, no-store");
        assert!(off.current_pragma && off.consistent_pragma);
    }

    #[test]
    fn validators_follow_the_file() {
        let a = File::new(bytes::Bytes::from_static(b"a"), DateTime::UNIX_EPOCH);
        let b = File::new(bytes::Bytes::from_static(b"b"), DateTime::UNIX_EPOCH);
        let (etag_a, date) = validators(&a);
        assert_eq!(etag_a, format!("\"{}\"", a.sha256_hex).as_str());
        assert_eq!(date, "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(validators(&a).0, etag_a, "memoised");
        assert_eq!(validators(&b).0, format!("\"{}\"", b.sha256_hex).as_str());
        assert_eq!(validators(&a).0, etag_a);
    }
}

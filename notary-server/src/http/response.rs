//! Metadata responses (spec-server §4.5–4.6): the stored bytes with `ETag`, `Last-Modified`
//! and `Cache-Control`, or 304 when `If-None-Match` names the same bytes.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};

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

/// A header value from text that is visible ASCII by construction (hex, HTTP dates); the
/// fallback is unreachable and only avoids a panic path.
fn ascii_header(s: String) -> HeaderValue {
    HeaderValue::try_from(s).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// 200 with the file, or 304 when the client has these bytes.
pub fn metadata(
    req: &HttpRequest,
    file: File,
    cache: &CacheConfig,
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
                            == Some(file.sha256_hex.as_str())
                })
        });
    let mut resp = if not_modified {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    resp.insert_header((
        header::LAST_MODIFIED,
        ascii_header(httpdate::fmt_http_date(file.modified.into())),
    ));
    resp.insert_header((
        header::ETAG,
        ascii_header(format!("\"{}\"", file.sha256_hex)),
    ));
    let (max_age, must_revalidate) = match kind {
        Freshness::Current => (cache.current_metadata, true),
        Freshness::Consistent => (cache.consistent_metadata, false),
    };
    if max_age > 0 {
        let v = if must_revalidate {
            format!("public, max-age={max_age}, s-maxage={max_age}, must-revalidate")
        } else {
            format!("public, max-age={max_age}, s-maxage={max_age}")
        };
        resp.insert_header((header::CACHE_CONTROL, ascii_header(v)));
    } else {
        resp.insert_header((
            header::CACHE_CONTROL,
            HeaderValue::from_static("max-age=0, no-cache, no-store"),
        ));
        resp.insert_header((header::PRAGMA, HeaderValue::from_static("no-cache")));
    }
    if not_modified {
        return resp.finish();
    }
    resp.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(TEXT_PLAIN)))
        .body(file.bytes)
}

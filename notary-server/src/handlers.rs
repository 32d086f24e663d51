//! HTTP handlers. [`dispatch`] routes with the Go table, applies the GUN checks and records
//! metrics; each handler extracts, calls a domain function and maps the result.

use std::time::Instant;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use futures::StreamExt;
use serde::Serialize;

use crate::app::AppState;
use crate::current::{self, Served};
use crate::error::{ApiError, ErrorCode};
use crate::routes::{Operation, Params, Routed};
use crate::storage::Change;

type Result<T> = std::result::Result<T, ApiError>;

/// Entry point for every request.
pub async fn dispatch(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let started = Instant::now();
    let raw_path = req.uri().path();
    let path = percent_encoding::percent_decode_str(raw_path).decode_utf8_lossy();
    if !crate::routes::is_clean(&path) {
        let cleaned = crate::routes::clean_path(&path);
        if cleaned != path {
            let location = match req.uri().query() {
                Some(q) => format!("{cleaned}?{q}"),
                None => cleaned,
            };
            return HttpResponse::MovedPermanently()
                .insert_header((header::LOCATION, location))
                .finish();
        }
    }
    let (op, params) = match state.router.route(req.method(), &path) {
        Routed::Matched(op, params) => (op, params),
        Routed::MethodNotAllowed => return HttpResponse::MethodNotAllowed().finish(),
    };
    let resp = match handle(&req, payload, &state, op, params).await {
        Ok(r) => r,
        Err(e) => e.error_response(),
    };
    if !matches!(
        op,
        Operation::Health | Operation::HealthLive | Operation::HealthReady | Operation::Metrics
    ) {
        state
            .metrics
            .observe_request(op.name(), resp.status().as_u16(), started.elapsed());
    }
    resp
}

async fn handle(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    op: Operation,
    p: Params,
) -> Result<HttpResponse> {
    if op.has_gun() {
        check_gun(state, op, &p.gun)?;
    }
    match op {
        Operation::Base => Ok(HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body("{}")),
        Operation::UpdateTuf => {
            let body = read_body(req, payload, state.limits.max_body_bytes).await?;
            let content_type = req
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok());
            crate::publish::publish(state, &p.gun, content_type, &body).await?;
            Ok(HttpResponse::Ok().finish())
        }
        Operation::GetRoleByHash => {
            let f = state
                .store
                .by_checksum(&p.gun, &p.role, &p.checksum)
                .await?;
            Ok(metadata_response(
                req,
                Served::from_row(f),
                consistent_cache(state),
            ))
        }
        Operation::GetRoleByVersion => {
            let v: i32 = p.version.parse().map_err(|_| ApiError::not_found())?;
            if v == 0 {
                return Err(ApiError::not_found());
            }
            let f = state.store.by_version(&p.gun, &p.role, v).await?;
            Ok(metadata_response(
                req,
                Served::from_row(f),
                consistent_cache(state),
            ))
        }
        Operation::GetRole => {
            let served = match p.role.as_str() {
                "timestamp" => current::timestamp(state, &p.gun).await?,
                "snapshot" => current::snapshot(state, &p.gun).await?,
                role => current::role(state, &p.gun, role).await?,
            };
            Ok(metadata_response(req, served, current_cache(state)))
        }
        Operation::GetKey => {
            let key = crate::keys::get_or_create(state, &p.gun, &p.role).await?;
            Ok(HttpResponse::Ok()
                .content_type("text/plain; charset=utf-8")
                .body(key.to_json()))
        }
        Operation::RotateKey => {
            let key = crate::keys::rotate(state, &p.gun, &p.role).await?;
            Ok(HttpResponse::Ok()
                .content_type("text/plain; charset=utf-8")
                .body(key.to_json()))
        }
        Operation::DeleteTuf => {
            let removed = state.store.delete(&p.gun).await?;
            state.cache.remove(&p.gun);
            tracing::info!(gun = %p.gun, removed, "deleted trust data");
            Ok(HttpResponse::Ok().finish())
        }
        Operation::Changefeed => changefeed(req, state, Some(p.gun)).await,
        Operation::GlobalChangefeed => changefeed(req, state, None).await,
        // `ready` runs the same checks as Go's `health`; `live` checks nothing.
        Operation::Health | Operation::HealthReady => Ok(health(state).await),
        Operation::HealthLive => Ok(health_response(serde_json::Map::new())),
        Operation::Metrics => Ok(HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4; charset=utf-8")
            .body(state.metrics.render(soonest_timestamp_expiry(state).await))),
        Operation::NotFound => Err(ApiError::new(ErrorCode::MetadataNotFound)),
    }
}

/// GUN length limit and `repositories.gun_prefixes` (spec-server §8.5).
fn check_gun(state: &AppState, op: Operation, gun: &str) -> Result<()> {
    if gun.len() > state.limits.max_gun_len {
        return Err(ApiError::with_detail(
            ErrorCode::InvalidGun,
            serde_json::Value::String(format!(
                "GUN is longer than {} bytes",
                state.limits.max_gun_len
            )),
        ));
    }
    if state.gun_prefixes.is_empty() || state.gun_prefixes.iter().any(|p| gun.starts_with(p)) {
        return Ok(());
    }
    if op == Operation::UpdateTuf {
        Err(ApiError::with_detail(
            ErrorCode::InvalidGun,
            serde_json::Value::String(format!(
                "Require GUNs with prefix: [{}]",
                state.gun_prefixes.join(" ")
            )),
        ))
    } else {
        Err(ApiError::new(ErrorCode::MetadataNotFound))
    }
}

/// Reads the body, refusing more than `limit` bytes with 413.
async fn read_body(req: &HttpRequest, mut payload: web::Payload, limit: usize) -> Result<Vec<u8>> {
    let too_large = || {
        ApiError::with_detail(
            ErrorCode::TooLarge,
            serde_json::Value::String(format!("request body larger than {limit} bytes")),
        )
    };
    if let Some(len) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        if len > limit as u64 {
            return Err(too_large());
        }
    }
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::with_detail(
                ErrorCode::MalformedUpload,
                serde_json::Value::String(e.to_string()),
            )
        })?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn current_cache(state: &AppState) -> CacheHeader {
    CacheHeader {
        max_age: state.cache_config.current_metadata,
        must_revalidate: true,
    }
}

fn consistent_cache(state: &AppState) -> CacheHeader {
    CacheHeader {
        max_age: state.cache_config.consistent_metadata,
        must_revalidate: false,
    }
}

struct CacheHeader {
    max_age: u32,
    must_revalidate: bool,
}

/// 200 with the stored bytes, `Last-Modified`, `Cache-Control` (spec-server §4.5–4.6) and an
/// `ETag`; 304 when `If-None-Match` names the same bytes.
fn metadata_response(req: &HttpRequest, served: Served, cache: CacheHeader) -> HttpResponse {
    let etag = served.etag.as_bytes();
    let not_modified = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t.as_bytes() == etag || t == "*")
        });
    let mut resp = if not_modified {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    resp.insert_header((header::LAST_MODIFIED, served.last_modified));
    resp.insert_header((header::ETAG, served.etag));
    if cache.max_age > 0 {
        let v = if cache.must_revalidate {
            format!(
                "public, max-age={0}, s-maxage={0}, must-revalidate",
                cache.max_age
            )
        } else {
            format!("public, max-age={0}, s-maxage={0}", cache.max_age)
        };
        resp.insert_header((header::CACHE_CONTROL, v));
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
        .body(served.bytes)
}

/// The `Content-Type` Go's server sends for metadata (Go's content sniffing of JSON text).
const TEXT_PLAIN: &str = "text/plain; charset=utf-8";

#[derive(Serialize)]
struct ChangeRecord {
    #[serde(rename = "ID")]
    id: String,
    #[serde(rename = "CreatedAt")]
    created_at: String,
    #[serde(rename = "GUN")]
    gun: String,
    #[serde(rename = "Version")]
    version: i32,
    #[serde(rename = "SHA256")]
    sha256: String,
    #[serde(rename = "Category")]
    category: String,
}

#[derive(Serialize)]
struct ChangePage {
    count: usize,
    records: Vec<ChangeRecord>,
}

impl From<Change> for ChangeRecord {
    fn from(c: Change) -> Self {
        let created_at = c
            .created_at
            .map(|t| notary_tuf::cjson::format_time(&t.and_utc()))
            .unwrap_or_else(|| "0001-01-01T00:00:00Z".into());
        ChangeRecord {
            id: c.id.to_string(),
            created_at,
            gun: c.gun,
            version: c.version,
            sha256: c
                .sha256
                .map(|s| s.trim_end().to_string())
                .unwrap_or_default(),
            category: c.category,
        }
    }
}

/// `GET …/_trust/changefeed?records=N&change_id=M` (spec-server §6.2).
async fn changefeed(
    req: &HttpRequest,
    state: &AppState,
    gun: Option<String>,
) -> Result<HttpResponse> {
    let mut records: Option<String> = None;
    let mut change_id: Option<String> = None;
    for (k, v) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
        match k.as_ref() {
            "records" if records.is_none() => records = Some(v.into_owned()),
            "change_id" if change_id.is_none() => change_id = Some(v.into_owned()),
            _ => {}
        }
    }
    let records_raw = records.unwrap_or_default();
    let records: i32 = records_raw.parse().map_err(|_| {
        ApiError::with_detail(
            ErrorCode::InvalidParameters,
            serde_json::Value::String(format!(
                "invalid records parameter: strconv.ParseInt: parsing {:?}: invalid syntax",
                records_raw
            )),
        )
    })?;
    let change_id: i32 = match change_id.as_deref() {
        None | Some("") => 0,
        Some(s) => s.parse().map_err(|_| {
            ApiError::with_detail(ErrorCode::InvalidParameters, serde_json::json!({}))
        })?,
    };
    let records = if records == 0 { 100 } else { records };
    let changes = state
        .store
        .changes(i64::from(change_id), i64::from(records), gun)
        .await?;
    let page = ChangePage {
        count: changes.len(),
        records: changes.into_iter().map(ChangeRecord::from).collect(),
    };
    let body = serde_json::to_string(&page).map_err(|_| ApiError::new(ErrorCode::Unknown))?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(body))
}

/// `GET /_notary_server/health`: checks the database and the signer now (not on a timer).
async fn health(state: &AppState) -> HttpResponse {
    let timeout = std::time::Duration::from_secs(5);
    let (db, signer) = futures::join!(
        tokio::time::timeout(timeout, state.store.check()),
        tokio::time::timeout(timeout, state.signer.check_health()),
    );
    let mut failing = serde_json::Map::new();
    match db {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            failing.insert("DB operational".into(), e.to_string().into());
        }
        Err(_) => {
            failing.insert("DB operational".into(), "timed out".into());
        }
    }
    match signer {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            failing.insert("Trust operational".into(), e.into());
        }
        Err(_) => {
            failing.insert("Trust operational".into(), "timed out".into());
        }
    }
    health_response(failing)
}

/// Go's health answer: 200 `{}`, or 503 with the failing checks' errors.
fn health_response(failing: serde_json::Map<String, serde_json::Value>) -> HttpResponse {
    let status = if failing.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    HttpResponse::build(status)
        .content_type("application/json; charset=utf-8")
        .body(serde_json::Value::Object(failing).to_string())
}

/// The earliest `expires` among the current timestamps of all GUNs, read from the database at
/// scrape time (one grouped query over the newest timestamp rows, see
/// [`crate::storage::Store::min_over_current_timestamps`]). `None` (gauge without a sample)
/// when there is no repository or the query fails or times out.
async fn soonest_timestamp_expiry(state: &AppState) -> Option<chrono::DateTime<chrono::Utc>> {
    let query = state.store.min_over_current_timestamps(|d| {
        crate::metadata::parse_timestamp(d).ok().map(|t| t.expires)
    });
    match tokio::time::timeout(std::time::Duration::from_secs(5), query).await {
        Ok(Ok(t)) => t,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "cannot read timestamp expiries for metrics");
            None
        }
        Err(_) => {
            tracing::warn!("reading timestamp expiries for metrics timed out");
            None
        }
    }
}

//! The handler of every request: clean the path, route with the table, parse the GUN and role
//! once, call the trust service, map the result, and record the request metrics.

use std::time::{Duration, Instant};

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use futures::StreamExt;
use notary_tuf::data::RoleName;
use serde_json::json;

use super::error::{ApiError, ErrorCode};
use super::response::{self, Freshness, TEXT_PLAIN};
use super::routes::{self, Operation, Params, Routed};
use super::HttpState;
use crate::gun::Gun;
use crate::trust::server_keys::ServerRole;
use crate::trust::Health;

type Result<T> = std::result::Result<T, ApiError>;

/// How long the health checks and the metrics' expiry query may take.
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// Entry point for every request.
pub async fn dispatch(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<HttpState>,
) -> HttpResponse {
    let started = Instant::now();
    let raw_path = req.uri().path();
    let path = percent_encoding::percent_decode_str(raw_path).decode_utf8_lossy();
    // Empty, `.` and `..` segments: Go's router redirects to the cleaned path, which may name
    // another repository. No Notary client sends such paths; they are refused instead.
    if !routes::is_clean(&path) {
        return ApiError::with_detail(
            ErrorCode::InvalidParameters,
            json!("the path has empty, \".\" or \"..\" segments"),
        )
        .error_response();
    }
    let (op, params) = match state.router.route(req.method(), &path) {
        Routed::Matched(op, params) => (op, params),
        Routed::MethodNotAllowed => return ApiError::new(ErrorCode::Unsupported).error_response(),
    };
    let resp = match handle(&req, payload, &state, op, params).await {
        Ok(r) => r,
        Err(e) => e.error_response(),
    };
    let route = op.route();
    if route.metered {
        state
            .metrics
            .observe_request(route.name, resp.status().as_u16(), started.elapsed());
    }
    resp
}

/// The role of a metadata path; a name the route pattern lets through but TUF does not
/// accept (upper case, dots) names no stored file.
fn role(p: &Params) -> Result<RoleName> {
    p.role.parse().map_err(|_| ApiError::not_found())
}

async fn handle(
    req: &HttpRequest,
    payload: web::Payload,
    state: &HttpState,
    op: Operation,
    p: Params,
) -> Result<HttpResponse> {
    let gun: Option<Gun> = if op.route().has_gun {
        Some(
            state
                .guns
                .parse(&p.gun)
                .map_err(|e| ApiError::from_gun(&e, op == Operation::UpdateTuf))?,
        )
    } else {
        None
    };
    let gun = || {
        gun.as_ref()
            .ok_or_else(|| ApiError::new(ErrorCode::Unknown))
    };
    let trust = &state.trust;
    match op {
        Operation::Base => Ok(HttpResponse::Ok().content_type(TEXT_PLAIN).body("{}")),
        Operation::UpdateTuf => {
            // A slot before the body is read: at most `max_concurrent_publishes` bodies are
            // buffered and validated at once; the others wait, up to the queue timeout.
            let slot = tokio::time::timeout(
                state.limits.publish_queue_timeout,
                state.publishes.acquire(),
            );
            let Ok(Ok(_slot)) = slot.await else {
                tracing::warn!(gun = %gun()?, "publish refused: every publish slot stayed busy");
                return Err(ApiError::with_detail(
                    ErrorCode::Unavailable,
                    json!("too many publishes in progress, retry later"),
                ));
            };
            let body = read_body(req, payload, state.limits.max_body_bytes).await?;
            let content_type = req
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok());
            let uploads = super::upload::uploads(content_type, &body, state.limits.max_parts)?;
            trust.publish(gun()?, uploads).await?;
            Ok(HttpResponse::Ok().finish())
        }
        Operation::GetRoleByHash => {
            let f = trust.by_checksum(gun()?, &role(&p)?, &p.checksum).await?;
            Ok(response::metadata(
                req,
                f,
                &state.cache,
                Freshness::Consistent,
            ))
        }
        Operation::GetRoleByVersion => {
            let v: i32 = p.version.parse().map_err(|_| ApiError::not_found())?;
            let f = trust.by_version(gun()?, &role(&p)?, v).await?;
            Ok(response::metadata(
                req,
                f,
                &state.cache,
                Freshness::Consistent,
            ))
        }
        Operation::GetRole => {
            let f = trust.current(gun()?, &role(&p)?).await?;
            Ok(response::metadata(req, f, &state.cache, Freshness::Current))
        }
        Operation::GetKey | Operation::RotateKey => {
            let role = ServerRole::parse(&p.role).ok_or_else(ApiError::not_found)?;
            let key = if op == Operation::GetKey {
                trust.server_key(gun()?, role).await?
            } else {
                trust.create_server_key(gun()?, role).await?
            };
            Ok(HttpResponse::Ok()
                .content_type(TEXT_PLAIN)
                .body(key.to_json()))
        }
        Operation::DeleteTuf => {
            trust.delete(gun()?).await?;
            Ok(HttpResponse::Ok().finish())
        }
        Operation::Changefeed => super::changefeed::changefeed(req, trust, Some(gun()?)).await,
        Operation::GlobalChangefeed => super::changefeed::changefeed(req, trust, None).await,
        // `ready` runs the same checks as Go's `health`; `live` checks nothing.
        Operation::Health | Operation::HealthReady => {
            Ok(health_response(&trust.health(CHECK_TIMEOUT).await))
        }
        Operation::HealthLive => Ok(health_response(&Health::default())),
        Operation::Metrics => {
            let soonest = trust.soonest_timestamp_expiry(CHECK_TIMEOUT).await;
            Ok(HttpResponse::Ok()
                .content_type("text/plain; version=0.0.4; charset=utf-8")
                .body(state.metrics.render(soonest)))
        }
        Operation::NotFound => Err(ApiError::new(ErrorCode::MetadataNotFound)),
    }
}

/// Reads the body, refusing more than `limit` bytes with 413.
async fn read_body(req: &HttpRequest, mut payload: web::Payload, limit: usize) -> Result<Vec<u8>> {
    let too_large = || {
        ApiError::with_detail(
            ErrorCode::TooLarge,
            json!(format!("request body larger than {limit} bytes")),
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
        let chunk = chunk
            .map_err(|e| ApiError::with_detail(ErrorCode::MalformedUpload, json!(e.to_string())))?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Go's health answer: 200 `{}`, or 503 naming the failing checks (Go's keys). The body says
/// which check failed, not why: the raw database or signer error (host names, addresses, TLS
/// details) goes to the log only, since anyone may ask.
fn health_response(h: &Health) -> HttpResponse {
    let mut failing = serde_json::Map::new();
    for (check, error) in [("DB operational", &h.db), ("Trust operational", &h.signer)] {
        if let Some(e) = error {
            tracing::warn!(check, error = %e, "health check failed");
            failing.insert(check.into(), json!("unavailable"));
        }
    }
    let status = if failing.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    HttpResponse::build(status)
        .content_type("application/json; charset=utf-8")
        .body(serde_json::Value::Object(failing).to_string())
}

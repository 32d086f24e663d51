//! The actix middleware that enforces token auth before the request reaches the handler, so
//! an unauthorised request's body is never read.

use std::future::{ready, Ready};
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::EitherBody;
use actix_web::dev::{forward_ready, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{AUTHORIZATION, HOST};
use actix_web::{web, Error};
use futures::future::LocalBoxFuture;

use super::{access, AuthConfig, TokenAuth};
use crate::gun::GunError;
use crate::http::routes::Routed;
use crate::http::HttpState;

/// Wraps the app; without an `auth` config it lets everything through (Go's behaviour).
#[derive(Clone)]
pub struct Authenticate {
    auth: Option<Arc<TokenAuth>>,
}

impl Authenticate {
    /// One controller (and token cache) shared by every worker.
    pub fn from_config(cfg: Option<&AuthConfig>) -> Authenticate {
        Authenticate {
            auth: cfg.map(|c| Arc::new(TokenAuth::new(c.clone()))),
        }
    }
}

impl<S, B> Transform<S, ServiceRequest> for Authenticate
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = AuthenticateService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(AuthenticateService {
            service: Rc::new(service),
            auth: self.auth.clone(),
        }))
    }
}

pub struct AuthenticateService<S> {
    service: Rc<S>,
    auth: Option<Arc<TokenAuth>>,
}

impl<S, B> Service<ServiceRequest> for AuthenticateService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let refused = self.auth.as_ref().and_then(|auth| check(auth, &req));
        match refused {
            Some(resp) => {
                let resp = req.into_response(resp).map_into_right_body();
                Box::pin(async move { Ok(resp) })
            }
            None => {
                let fut = self.service.call(req);
                Box::pin(async move { Ok(fut.await?.map_into_left_body()) })
            }
        }
    }
}

/// `Some(401 response)` when the request must be refused.
fn check(auth: &TokenAuth, req: &ServiceRequest) -> Option<actix_web::HttpResponse> {
    let started = std::time::Instant::now();
    let state = req.app_data::<web::Data<HttpState>>()?;
    let path = percent_encoding::percent_decode_str(req.uri().path()).decode_utf8_lossy();
    let Routed::Matched(op, params) = state.router.route(req.method(), &path) else {
        return None;
    };
    // The GUN prefix filter runs before auth (§8.5): a GUN outside the prefixes gets the
    // handler's prefix error, not a challenge.
    if op.route().has_gun
        && matches!(
            state.guns.parse(&params.gun),
            Err(GunError::PrefixNotAllowed(_))
        )
    {
        return None;
    }
    let required = access::required(op, &params.gun)?;
    let header = req.headers().get(AUTHORIZATION).map(|v| v.as_bytes());
    let now = chrono::Utc::now().timestamp();
    let refusal = auth.authorize(header, &required, now).err()?;
    // Never log the token itself: only why it was refused and what the route needed.
    match &refusal {
        super::Refusal::NoToken => tracing::info!(
            method = %req.method(), path = ?path, operation = op.name(), reason = %refusal,
            "authentication required"
        ),
        _ => tracing::warn!(
            method = %req.method(), path = ?path, operation = op.name(), reason = %refusal,
            "token refused"
        ),
    }
    let host = req.headers().get(HOST).and_then(|h| h.to_str().ok());
    let resp = auth.refuse(&refusal, &required, host);
    // Go counts refused requests under the route's operation too.
    state
        .metrics
        .observe_request(op.name(), 401, started.elapsed());
    Some(resp)
}

//! A registry-style token service: `GET /auth/token?service=…&scope=…` with optional basic
//! credentials, answering `{"token": …}` signed by the test token CA. The test decides each
//! user's password and the actions they may get; anonymous callers get a token without access
//! (like Docker Hub), wrong credentials a 401.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::Engine as _;
use notary_devcerts::DevPki;
use serde_json::json;

use crate::tokens::{self, KeyRef, TokenKey};

/// One account: password and the actions it may be granted on any repository.
#[derive(Clone)]
pub struct Account {
    pub password: String,
    pub actions: Vec<String>,
}

pub struct RealmState {
    pub issuer: String,
    pub key: TokenKey,
    pub accounts: HashMap<String, Account>,
    /// Every (user or "-", scope) the service was asked for, in order.
    pub requests: Mutex<Vec<(String, String)>>,
}

/// The running token service (stopped on drop).
pub struct Realm {
    pub url: String,
    pub state: Arc<RealmState>,
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn tls(pki: &DevPki) -> rustls::ServerConfig {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(&pki.server_cert)
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(&pki.server_key).unwrap();
    rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap()
}

impl Realm {
    pub fn start(pki: &DevPki, state: RealmState) -> Realm {
        let state = Arc::new(state);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let tls = tls(pki);
        let (tx, rx) = std::sync::mpsc::channel();
        let st = state.clone();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let st = web::Data::from(st);
                let srv = HttpServer::new(move || {
                    App::new()
                        .app_data(st.clone())
                        .route("/auth/token", web::get().to(token))
                })
                .workers(1)
                .disable_signals()
                .listen_rustls_0_23(listener, tls)
                .unwrap()
                .run();
                tx.send(srv.handle()).unwrap();
                let _ = srv.await;
            })
        });
        let handle = rx.recv().unwrap();
        Realm {
            url: format!("https://127.0.0.1:{port}/auth/token"),
            state,
            handle,
            thread: Some(thread),
        }
    }

    pub fn requests(&self) -> Vec<(String, String)> {
        self.state.requests.lock().unwrap().clone()
    }
}

impl Drop for Realm {
    fn drop(&mut self) {
        futures::executor::block_on(self.handle.stop(false));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn basic_user(req: &HttpRequest) -> Option<(String, String)> {
    let h = req.headers().get("authorization")?.to_str().ok()?;
    let b64 = h.strip_prefix("Basic ")?;
    let raw = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    let raw = String::from_utf8(raw).ok()?;
    let (u, p) = raw.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}

async fn token(req: HttpRequest, st: web::Data<RealmState>) -> HttpResponse {
    let query = url::form_urlencoded::parse(req.query_string().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect::<Vec<_>>();
    let service = query
        .iter()
        .find(|(k, _)| k == "service")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let scopes: Vec<String> = query
        .iter()
        .filter(|(k, _)| k == "scope")
        .map(|(_, v)| v.clone())
        .collect();
    let allowed: Vec<String> = match basic_user(&req) {
        None => Vec::new(),
        Some((u, p)) => match st.accounts.get(&u) {
            Some(a) if a.password == p => a.actions.clone(),
            _ => return HttpResponse::Unauthorized().body("bad credentials"),
        },
    };
    let who = basic_user(&req)
        .map(|(u, _)| u)
        .unwrap_or_else(|| "-".into());
    let mut access = Vec::new();
    for scope in &scopes {
        st.requests
            .lock()
            .unwrap()
            .push((who.clone(), scope.clone()));
        // type:name:actions, where name may itself contain ':' (host:port).
        let mut it = scope.rsplitn(2, ':');
        let (Some(actions), Some(rest)) = (it.next(), it.next()) else {
            continue;
        };
        let Some((typ, name)) = rest.split_once(':') else {
            continue;
        };
        let granted: Vec<String> = actions
            .split(',')
            .filter(|a| allowed.iter().any(|x| x == "*" || x == a))
            .map(str::to_string)
            .collect();
        if !granted.is_empty() {
            access.push(json!({"type": typ, "name": name, "actions": granted}));
        }
    }
    let n = tokens::now();
    let claims = json!({
        "iss": st.issuer, "sub": who, "aud": service, "exp": n + 300, "nbf": n - 5, "iat": n,
        "jti": format!("{n}-{}", scopes.len()), "access": access,
    });
    let tok = st.key.mint(KeyRef::X5c, &claims);
    HttpResponse::Ok().json(json!({"token": tok, "access_token": tok, "expires_in": 300}))
}

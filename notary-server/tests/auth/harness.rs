//! Our `notary-server` binary with `auth.type: token`, its token CA, and (optionally) the token
//! service; the notary CLI with `NOTARY_AUTH` credentials.

use std::collections::HashMap;
use std::ops::Deref;
use std::path::Path;
use std::sync::Mutex;

use notary_testkit::{notary_cli_auth, Backend, Env, Opts, Server, SignerKind, TestDb};
use serde_json::json;

use crate::realm::{Account, Realm, RealmState};
use crate::tokens::{TokenCa, TokenKey};

pub const ISSUER: &str = "test-token-issuer";
pub const SERVICE: &str = "notary-test-service";

/// Test accounts: `pusher` (push+pull), `reader` (pull), `admin` (*).
pub fn accounts() -> HashMap<String, Account> {
    let mut m = HashMap::new();
    for (user, actions) in [
        ("pusher", vec!["push", "pull"]),
        ("reader", vec!["pull"]),
        ("admin", vec!["*"]),
    ] {
        m.insert(
            user.to_string(),
            Account {
                password: format!("{user}-secret"),
                actions: actions.into_iter().map(String::from).collect(),
            },
        );
    }
    m
}

pub struct Options {
    pub realm: bool,
    pub gun_prefixes: Option<Vec<String>>,
    pub autoredirect: bool,
    /// Extra `auth` JSON replacing the generated one (startup error tests).
    pub auth_override: Option<serde_json::Value>,
    pub log_level: &'static str,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            realm: true,
            gun_prefixes: None,
            autoredirect: false,
            auth_override: None,
            log_level: "info",
        }
    }
}

/// A running server with token auth (the [`Server`] it derefs to). Field order = drop order.
pub struct AuthServer {
    pub server: Server,
    pub realm_url: String,
    pub realm: Option<Realm>,
    /// A signing key chained to the bundle (a second one the realm does not use).
    pub key: TokenKey,
    pub ca: TokenCa,
}

impl Deref for AuthServer {
    type Target = Server;

    fn deref(&self) -> &Server {
        &self.server
    }
}

impl AuthServer {
    pub fn start(opts: Options) -> AuthServer {
        let env = Env::new();
        let ca = TokenCa::new("Test Token CA");
        env.file("token-root.crt", ca.pem());
        let realm = opts.realm.then(|| {
            Realm::start(
                &env.pki,
                RealmState {
                    issuer: ISSUER.into(),
                    key: ca.signing_key("realm signer"),
                    accounts: accounts(),
                    requests: Mutex::new(Vec::new()),
                },
            )
        });
        let realm_url = realm
            .as_ref()
            .map(|r| r.url.clone())
            .unwrap_or_else(|| "https://auth.example.com/token".into());
        let mut options = json!({"realm": realm_url, "service": SERVICE, "issuer": ISSUER,
            "rootcertbundle": "token-root.crt"});
        if opts.autoredirect {
            options["autoredirect"] = json!(true);
        }
        let mut server_opts = Opts::new(Backend::Sqlite, SignerKind::Local);
        server_opts.gun_prefixes = opts.gun_prefixes;
        server_opts.log_level = opts.log_level;
        server_opts.auth = Some(
            opts.auth_override
                .unwrap_or_else(|| json!({"type": "token", "options": options})),
        );
        let server = Server::start_with(server_opts, env, TestDb::new(Backend::Sqlite), None);
        let key = ca.signing_key("direct signer");
        AuthServer {
            server,
            realm_url,
            realm,
            key,
            ca,
        }
    }

    /// The real notary CLI; `user` logs in through `NOTARY_AUTH` with that account's password.
    pub fn notary(&self, trust_dir: &Path, user: Option<&str>, args: &[&str]) -> (bool, String) {
        notary_cli_auth(&self.url, &self.pki.root_ca, trust_dir, user, args)
    }

    pub fn log(&self) -> String {
        self.proc.log_text()
    }
}

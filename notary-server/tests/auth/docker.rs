//! The Docker CLI's `docker trust` commands (no engine) through token auth against our server:
//! credentials in `$DOCKER_CONFIG/config.json` (no `docker login`), our CA in
//! `$DOCKER_CONFIG/tls/<host:port>/ca.crt`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine as _;
use serde_json::json;

use crate::harness::{AuthServer, Options};

const DELEGATION_PASS: &str = "delegation-pass-1234";

struct Docker {
    config: PathBuf,
    server: String,
}

impl Docker {
    fn new(s: &AuthServer, name: &str, user: Option<&str>) -> Docker {
        let config = s.trust_dir(name);
        let tls = config.join("tls").join(format!("127.0.0.1:{}", s.port));
        std::fs::create_dir_all(&tls).unwrap();
        std::fs::copy(&s.pki.root_ca, tls.join("ca.crt")).unwrap();
        let mut auths = json!({});
        if let Some(u) = user {
            let creds = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{u}-secret"));
            auths["https://index.docker.io/v1/"] = json!({"auth": creds});
        }
        std::fs::write(
            config.join("config.json"),
            json!({"auths": auths}).to_string(),
        )
        .unwrap();
        Docker {
            config,
            server: s.url.clone(),
        }
    }

    fn run(&self, args: &[&str]) -> (bool, String) {
        notary_testkit::run_command(
            Command::new("docker")
                .args(args)
                .env("DOCKER_CONFIG", &self.config)
                .env("HOME", &self.config)
                .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
                .env("DOCKER_CONTENT_TRUST", "1")
                .env("DOCKER_CONTENT_TRUST_SERVER", &self.server)
                .env("DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE", "root-pass-1234")
                .env(
                    "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE",
                    DELEGATION_PASS,
                )
                .env_remove("DOCKER_AUTH_CONFIG")
                .stdin(Stdio::null()),
        )
    }

    fn ok(&self, s: &AuthServer, args: &[&str]) -> String {
        let (success, out) = self.run(args);
        assert!(
            success,
            "docker {args:?} failed:\n{out}\n--- server log ---\n{}",
            s.log()
        );
        out
    }

    fn trust_dir(&self) -> PathBuf {
        self.config.join("trust")
    }
}

fn inspect(s: &AuthServer, d: &Docker, image: &str) -> serde_json::Value {
    let out = d.ok(s, &["trust", "inspect", image]);
    let start = out.find('[').unwrap_or_else(|| panic!("no JSON in: {out}"));
    serde_json::from_str(out[start..].trim()).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn notary_on(s: &AuthServer, dir: &Path, user: &str, args: &[&str]) -> String {
    let (success, out) = s.notary(dir, Some(user), args);
    assert!(success, "notary {args:?} failed:\n{out}\n{}", s.log());
    out
}

#[test]
fn docker_trust_commands_through_token_auth() {
    let s = AuthServer::start(Options::default());
    let image = "docker.io/authtest/app";
    let d = Docker::new(&s, "docker-pusher", Some("pusher"));
    let keys = s.trust_dir("docker-keys");
    let out = d.ok(
        &s,
        &[
            "trust",
            "key",
            "generate",
            "alice",
            "--dir",
            keys.to_str().unwrap(),
        ],
    );
    assert!(
        out.contains("Successfully generated and loaded private key"),
        "{out}"
    );
    let pubkey = keys.join("alice.pub");
    assert!(pubkey.exists(), "{out}");

    // A reader cannot add a signer (the repository does not exist and cannot be published).
    let r = Docker::new(&s, "docker-reader", Some("reader"));
    std::fs::create_dir_all(r.trust_dir()).unwrap();
    let add_alice = [
        "trust",
        "signer",
        "add",
        "--key",
        pubkey.to_str().unwrap(),
        "alice",
        image,
    ];
    let (success, out) = r.run(&add_alice);
    assert!(!success, "{out}");

    let out = d.ok(&s, &add_alice);
    assert!(out.contains("Successfully added signer: alice"), "{out}");

    let v = inspect(&s, &d, image);
    let signers = v[0]["Signers"].as_array().unwrap_or_else(|| panic!("{v}"));
    assert!(signers.iter().any(|x| x["Name"] == "alice"), "{v}");

    // Sign a tag into targets/releases (alice is a member) with the notary CLI on Docker's trust dir (signing a
    // new tag with `docker trust sign` needs an engine).
    let file = s.dir.path().join("manifest.json");
    std::fs::write(&file, b"{\"fake\":\"manifest\"}").unwrap();
    notary_on(
        &s,
        &d.trust_dir(),
        "pusher",
        &[
            "add",
            "-p",
            image,
            "v1",
            file.to_str().unwrap(),
            "--roles",
            "targets/releases",
        ],
    );
    // A reader sees it through `docker trust inspect` with its own (pull) token.
    let v = inspect(&s, &r, image);
    let signed = v[0]["SignedTags"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"));
    assert!(signed.iter().any(|t| t["SignedTag"] == "v1"), "{v}");

    let out = d.ok(&s, &["trust", "revoke", "--yes", &format!("{image}:v1")]);
    assert!(out.contains("Successfully deleted signature for"), "{out}");
    let v = inspect(&s, &r, image);
    let signed = v[0]["SignedTags"].as_array().cloned().unwrap_or_default();
    assert!(!signed.iter().any(|t| t["SignedTag"] == "v1"), "{v}");

    // Without credentials the anonymous token grants nothing: inspect finds no trust data.
    let anon = Docker::new(&s, "docker-anon", None);
    let (_, out) = anon.run(&["trust", "inspect", image]);
    assert!(!out.contains("alice"), "{out}");
    assert!(s.log().contains("token refused"), "{}", s.log());
}

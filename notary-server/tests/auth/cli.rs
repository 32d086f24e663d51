//! The real `notary` CLI through token auth: credentials from `NOTARY_AUTH`, tokens from the
//! test token service.

use std::path::Path;

use crate::harness::{AuthServer, Options};

fn run(s: &AuthServer, dir: &Path, user: Option<&str>, args: &[&str]) -> (bool, String) {
    s.notary(dir, user, args)
}

fn ok(s: &AuthServer, dir: &Path, user: Option<&str>, args: &[&str]) -> String {
    let (success, out) = run(s, dir, user, args);
    assert!(
        success,
        "notary {args:?} as {user:?} failed:\n{out}\n--- server log ---\n{}",
        s.log()
    );
    out
}

fn fails(s: &AuthServer, dir: &Path, user: Option<&str>, args: &[&str]) -> String {
    let (success, out) = run(s, dir, user, args);
    assert!(!success, "notary {args:?} as {user:?} should fail:\n{out}");
    out
}

#[test]
fn push_pull_pull_only_and_star_through_token_auth() {
    let s = AuthServer::start(Options::default());
    let gun = "docker.io/auth/e2e";
    let writer = s.trust_dir("writer");
    let reader = s.trust_dir("reader");
    let nobody = s.trust_dir("nobody");
    let file = s.dir.path().join("payload.txt");
    std::fs::write(&file, b"hello token auth\n").unwrap();
    let file = file.to_str().unwrap();

    // push+pull: the full flow.
    let out = ok(&s, &writer, Some("pusher"), &["init", "-p", gun]);
    assert!(
        out.contains(&format!(
            "Successfully published changes for repository {gun}"
        )),
        "{out}"
    );
    ok(&s, &writer, Some("pusher"), &["add", "-p", gun, "v1", file]);
    let out = ok(&s, &writer, Some("pusher"), &["list", gun]);
    assert!(out.contains("v1"), "{out}");

    // pull only: list works, publishing is refused with the CLI's auth error.
    let out = ok(&s, &reader, Some("reader"), &["list", gun]);
    assert!(out.contains("v1"), "{out}");
    // The reader's credentials with the writer's keys: the server refuses the push.
    ok(&s, &writer, None, &["add", gun, "v2", file]);
    let out = fails(&s, &writer, Some("reader"), &["publish", gun]);
    assert!(
        out.contains("you are not authorized to perform this operation"),
        "{out}"
    );
    ok(&s, &writer, None, &["reset", gun, "--all"]);
    // No credentials at all: the anonymous token grants nothing.
    let out = fails(&s, &nobody, None, &["list", gun]);
    assert!(
        out.to_lowercase().contains("not authorized") || out.contains("401"),
        "{out}"
    );

    ok(&s, &writer, Some("pusher"), &["remove", "-p", gun, "v1"]);
    let out = ok(&s, &reader, Some("reader"), &["list", gun]);
    assert!(!out.contains("v1"), "{out}");

    // Server-managed snapshot key and remote delete need `*`.
    let out = fails(
        &s,
        &writer,
        Some("pusher"),
        &["key", "rotate", gun, "snapshot", "-r"],
    );
    assert!(out.contains("not authorized"), "{out}");
    let out = ok(
        &s,
        &writer,
        Some("admin"),
        &["key", "rotate", gun, "snapshot", "-r"],
    );
    assert!(
        out.contains(&format!(
            "Successfully rotated snapshot key for repository {gun}"
        )),
        "{out}"
    );
    let out = fails(&s, &writer, Some("pusher"), &["delete", gun, "--remote"]);
    assert!(out.contains("not authorized"), "{out}");
    let out = ok(&s, &writer, Some("admin"), &["delete", gun, "--remote"]);
    assert!(
        out.contains(&format!(
            "Successfully deleted local and remote trust data for repository {gun}"
        )),
        "{out}"
    );

    // The token service saw the scopes the CLI asks for.
    let asked = s.realm.as_ref().unwrap().requests();
    let has = |user: &str, scope: &str| asked.iter().any(|(u, sc)| u == user && sc == scope);
    assert!(
        has("pusher", &format!("repository:{gun}:push,pull")),
        "{asked:?}"
    );
    assert!(
        has("reader", &format!("repository:{gun}:pull")),
        "{asked:?}"
    );
    assert!(has("admin", &format!("repository:{gun}:*")), "{asked:?}");
}

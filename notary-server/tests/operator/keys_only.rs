//! Only the signer's keys are deleted (`delete from private_keys where gun=…`), the metadata
//! stays. A GUN whose snapshot the client holds recovers by rotating the timestamp key to a new
//! server key; a GUN whose snapshot was server-held cannot be re-signed by anyone: publishes fail
//! with a plain error and `admin show` says so and points to reset-gun.

use std::path::PathBuf;

use crate::harness::Stack;
use notary_testkit::Backend;

/// A stack on PostgreSQL with `gun` initialised (one target) from the trust dir returned.
fn stack_with(gun: &str) -> (Stack, PathBuf) {
    let stack = Stack::start(Backend::Postgres);
    let trust = stack.trust_dir("trust");
    stack.init_with_target(&trust, gun);
    (stack, trust)
}

/// `admin show <gun>` mentions each of `texts`.
fn assert_show(stack: &Stack, gun: &str, texts: &[&str]) {
    let show = stack.admin_ok(&["show", gun]);
    for text in texts {
        assert!(show.contains(text), "no {text:?} in: {show}");
    }
}

/// Deletes the GUN's signer keys and waits until the server sees it (the signer refuses
/// deleted keys within 0.5 s).
fn delete_keys(stack: &Stack, gun: &str) {
    stack.delete_signer_keys(gun);
    std::thread::sleep(std::time::Duration::from_millis(700));
}

#[test]
fn client_held_snapshot_recovers_with_timestamp_rotation() {
    let gun = "example.com/keys/client-snapshot";
    let (stack, trust) = stack_with(gun);
    assert_show(&stack, gun, &["held by the signer (server-managed)"]);

    delete_keys(&stack, gun);
    let rotate = format!("notary key rotate {gun} timestamp -r");
    assert_show(&stack, gun, &["NOT held by the signer", &rotate]);

    let out = stack.add_and_fail_to_publish(&trust, gun, "stuck");
    eprintln!("publish without the timestamp key, as the CLI shows it:\n{out}");

    stack.notary_ok(&trust, &["key", "rotate", gun, "timestamp", "-r"]);
    stack.notary_ok(&trust, &["publish", gun]);
    stack.add_and_publish(&trust, gun, "recovered");
    let listed = stack.notary_ok(&stack.trust_dir("reader"), &["list", gun]);
    for t in ["first", "stuck", "recovered"] {
        assert!(listed.contains(t), "{t} missing: {listed}");
    }
    assert_show(&stack, gun, &["holds every server-managed key"]);
}

#[test]
fn server_held_snapshot_is_unrecoverable_and_show_says_so() {
    let gun = "example.com/keys/server-snapshot";
    let (stack, trust) = stack_with(gun);
    stack.notary_ok(&trust, &["key", "rotate", gun, "snapshot", "-r"]);
    stack.add_and_publish(&trust, gun, "server-snapshot");
    assert_show(&stack, gun, &["holds every server-managed key"]);

    delete_keys(&stack, gun);
    let out = stack.add_and_fail_to_publish(&trust, gun, "orphan");
    assert!(
        out.contains("server does not hold current snapshot key"),
        "not the plain error: {out}"
    );

    let reset = format!("reset-gun {gun} --yes");
    assert_show(&stack, gun, &["nobody can re-sign the snapshot", &reset]);

    // The advertised way out works.
    stack.admin_ok(&["reset-gun", gun, "--yes"]);
    let fresh = stack.trust_dir("fresh");
    stack.notary_ok(&fresh, &["init", gun, "-p"]);
    stack.add_and_publish(&fresh, gun, "reborn");
    assert!(stack.notary_ok(&fresh, &["list", gun]).contains("reborn"));
}

//! Only the signer's keys are deleted (`delete from private_keys where gun=…`), the metadata
//! stays. A GUN whose snapshot the client holds recovers by rotating the timestamp key to a new
//! server key; a GUN whose snapshot was server-held cannot be re-signed by anyone: publishes fail
//! with a plain error and `admin show` says so and points to reset-gun.

use crate::harness::Stack;
use notary_testkit::Backend;

#[test]
fn client_held_snapshot_recovers_with_timestamp_rotation() {
    let stack = Stack::start(Backend::Postgres);
    let gun = "example.com/keys/client-snapshot";
    let trust = stack.trust_dir("trust");
    stack.init_with_target(&trust, gun);
    let show = stack.admin_ok(&["show", gun]);
    assert!(
        show.contains("held by the signer (server-managed)"),
        "{show}"
    );

    stack
        .signer_db()
        .sql(&format!("delete from private_keys where gun='{gun}';"));
    // The signer refuses deleted keys within 0.5 s; wait for the server to see it.
    std::thread::sleep(std::time::Duration::from_millis(700));
    let show = stack.admin_ok(&["show", gun]);
    assert!(show.contains("NOT held by the signer"), "{show}");
    assert!(
        show.contains(&format!("notary key rotate {gun} timestamp -r")),
        "{show}"
    );

    let file = stack.dir.path().join("stuck.txt");
    std::fs::write(&file, "stuck").unwrap();
    stack.notary_ok(&trust, &["add", gun, "stuck", &file.to_string_lossy()]);
    let (ok, out) = stack.notary(&trust, &["publish", gun], None);
    assert!(!ok, "publish without a timestamp key succeeded: {out}");
    eprintln!("publish without the timestamp key, as the CLI shows it:\n{out}");

    stack.notary_ok(&trust, &["key", "rotate", gun, "timestamp", "-r"]);
    stack.notary_ok(&trust, &["publish", gun]);
    stack.add_and_publish(&trust, gun, "recovered");
    let listed = stack.notary_ok(&stack.trust_dir("reader"), &["list", gun]);
    for t in ["first", "stuck", "recovered"] {
        assert!(listed.contains(t), "{t} missing: {listed}");
    }
    let show = stack.admin_ok(&["show", gun]);
    assert!(show.contains("holds every server-managed key"), "{show}");
}

#[test]
fn server_held_snapshot_is_unrecoverable_and_show_says_so() {
    let stack = Stack::start(Backend::Postgres);
    let gun = "example.com/keys/server-snapshot";
    let trust = stack.trust_dir("trust");
    stack.init_with_target(&trust, gun);
    stack.notary_ok(&trust, &["key", "rotate", gun, "snapshot", "-r"]);
    stack.add_and_publish(&trust, gun, "server-snapshot");
    let show = stack.admin_ok(&["show", gun]);
    assert!(show.contains("holds every server-managed key"), "{show}");

    stack
        .signer_db()
        .sql(&format!("delete from private_keys where gun='{gun}';"));
    std::thread::sleep(std::time::Duration::from_millis(700));

    let file = stack.dir.path().join("orphan.txt");
    std::fs::write(&file, "orphan").unwrap();
    stack.notary_ok(&trust, &["add", gun, "orphan", &file.to_string_lossy()]);
    let (ok, out) = stack.notary(&trust, &["publish", gun], None);
    assert!(!ok, "publish without the snapshot key succeeded: {out}");
    assert!(
        out.contains("server does not hold current snapshot key"),
        "not the plain error: {out}"
    );

    let show = stack.admin_ok(&["show", gun]);
    assert!(show.contains("nobody can re-sign the snapshot"), "{show}");
    assert!(show.contains(&format!("reset-gun {gun} --yes")), "{show}");

    // The advertised way out works.
    stack.admin_ok(&["reset-gun", gun, "--yes"]);
    let fresh = stack.trust_dir("fresh");
    stack.notary_ok(&fresh, &["init", gun, "-p"]);
    stack.add_and_publish(&fresh, gun, "reborn");
    assert!(stack.notary_ok(&fresh, &["list", gun]).contains("reborn"));
}

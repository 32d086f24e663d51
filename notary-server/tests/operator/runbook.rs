//! The documented key-loss runbook, verbatim SQL through each database's own CLI against live
//! processes: the deletion is visible within a second and the GUN can be re-initialised, with
//! no restart of notary-server or notary-signer.

use std::time::Instant;

use crate::harness::{Stack, VISIBLE_WITHIN};
use notary_testkit::Backend;

fn runbook(backend: Backend) {
    let stack = Stack::start(backend);
    let gun = "example.com/runbook/app";
    let old = stack.trust_dir("old-trust");
    stack.init_with_target(&old, gun);
    assert!(stack.notary_ok(&old, &["list", gun]).contains("first"));
    assert_eq!(
        stack.status(&format!("/v2/{gun}/_trust/tuf/timestamp.json")),
        200
    );
    assert!(stack.live_keys(gun) >= 1);

    // The runbook, character for character.
    stack
        .db
        .sql(&format!("delete from tuf_files where gun='{gun}';"));
    stack.delete_signer_keys(gun);
    let took = stack.wait_gone(gun, Instant::now());
    eprintln!("{backend:?}: deletion visible after {took:?}");
    assert!(
        took <= VISIBLE_WITHIN,
        "deletion visible only after {took:?}"
    );

    // A client that still caches the old metadata and publishes without re-initialising
    // uploads the old root, which names the deleted timestamp key: refused (spec-signer §8.4),
    // and nothing is stored.
    stack.add_and_fail_to_publish(&old, gun, "stale");
    assert_eq!(
        stack.status(&format!("/v2/{gun}/_trust/tuf/root.json")),
        404
    );

    // Re-initialise from a fresh trust directory; both processes keep running.
    let fresh = stack.trust_dir("fresh-trust");
    stack.notary_ok(&fresh, &["init", gun, "-p"]);
    let listed = stack.notary_ok(&fresh, &["list", gun]);
    assert!(!listed.contains("first"), "old target came back: {listed}");
    stack.add_and_publish(&fresh, gun, "second");
    assert!(stack.notary_ok(&fresh, &["list", gun]).contains("second"));
    let reader = stack.trust_dir("reader");
    let listed = stack.notary_ok(&reader, &["list", gun]);
    assert!(
        listed.contains("second") && !listed.contains("first"),
        "{listed}"
    );
    assert!(
        stack
            .proc
            .log_text()
            .matches("notary-server starting")
            .count()
            == 1,
        "the server restarted"
    );
    let signer_pid = stack.signer_proc().child.id();
    assert!(
        std::path::Path::new(&format!("/proc/{signer_pid}")).exists(),
        "the signer exited: {}",
        stack.signer_proc().log_text()
    );
}

notary_testkit::test_cases!(runbook {
    runbook_sql_postgres => (Backend::Postgres),
    runbook_sql_mysql => (Backend::Mysql),
    runbook_sql_sqlite => (Backend::Sqlite),
});

//! `notary-server admin retention --keep 2`: after many publishes and a root rotation, old
//! versions go, every root and the current chain stay, fresh and cached clients keep working.

use crate::harness::Stack;
use notary_testkit::Backend;

/// Publishes of the repository (each one `notary add` + `notary publish`).
const PUBLISHES: usize = 50;

#[test]
fn retention_keeps_chain_roots_and_newest_versions() {
    let stack = Stack::start(Backend::Sqlite);
    let gun = "example.com/retention/app";
    let trust = stack.trust_dir("publisher");
    stack.notary_ok(&trust, &["init", gun, "-p"]);
    let cached = stack.trust_dir("cached-reader");
    for i in 0..PUBLISHES {
        stack.add_and_publish(&trust, gun, &format!("t{i}"));
        if i == 5 {
            // A reader that last updated long ago (and before the root rotation).
            assert!(stack.notary_ok(&cached, &["list", gun]).contains("t5"));
        }
        if i == PUBLISHES / 2 {
            stack.notary_ok(&trust, &["key", "rotate", gun, "timestamp", "-r"]);
        }
    }
    // A GUN whose chain cannot be resolved (timestamps deleted by hand) is left alone.
    let broken = "example.com/retention/broken";
    stack.notary_ok(&trust, &["init", broken, "-p"]);
    for i in 0..4 {
        stack.add_and_publish(&trust, broken, &format!("b{i}"));
    }
    stack.db.sql(&format!(
        "delete from tuf_files where gun='{broken}' and role='timestamp';"
    ));
    let broken_targets = stack.rows(broken, "targets");
    assert_eq!(broken_targets, 5);

    let roots = stack.rows(gun, "root");
    assert_eq!(roots, 2, "root rotation should give root v2");
    for role in ["targets", "snapshot", "timestamp"] {
        assert!(stack.rows(gun, role) > PUBLISHES, "{role}");
    }

    let dry = stack.admin_ok(&["retention", "--keep", "2"]);
    assert!(
        dry.contains("would remove") && dry.contains("dry run"),
        "{dry}"
    );
    assert!(stack.rows(gun, "targets") > PUBLISHES);

    let out = stack.admin_ok(&["retention", "--keep", "2", "--yes"]);
    eprintln!("{out}");
    assert!(out.contains("removed") && out.contains("bytes"), "{out}");
    assert!(out.contains(&format!("{broken}\tskipped")), "{out}");
    assert_eq!(stack.rows(broken, "targets"), broken_targets);
    assert_eq!(stack.rows(gun, "root"), roots, "a root version was removed");
    for role in ["targets", "snapshot", "timestamp"] {
        // The current chain's file plus at most two older versions.
        assert_eq!(stack.rows(gun, role), 3, "{role}");
    }
    // The newest versions are the ones left.
    let oldest_targets: usize = stack
        .db
        .sql(&format!(
            "select min(version) from tuf_files where gun='{gun}' and role='targets';"
        ))
        .trim()
        .parse()
        .unwrap();
    assert!(
        oldest_targets > PUBLISHES - 2,
        "oldest kept targets {oldest_targets}"
    );

    let fresh = stack.notary_ok(&stack.trust_dir("fresh-reader"), &["list", gun]);
    for i in 0..PUBLISHES {
        assert!(fresh.contains(&format!("t{i} ")), "t{i} missing: {fresh}");
    }
    let updated = stack.notary_ok(&cached, &["list", gun]);
    assert!(
        updated.contains(&format!("t{}", PUBLISHES - 1)),
        "{updated}"
    );
    stack.add_and_publish(&trust, gun, "after-retention");
    assert!(stack
        .notary_ok(&trust, &["list", gun])
        .contains("after-retention"));
    assert!(stack
        .notary_ok(&cached, &["list", gun])
        .contains("after-retention"));

    // One more publish made exactly one more old version of each of the three roles.
    let again = stack.admin_ok(&["retention", "--keep", "2"]);
    assert!(again.contains("would remove 3 rows"), "{again}");
}

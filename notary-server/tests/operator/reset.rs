//! `notary-server admin reset-gun`: a dry run changes nothing; `--yes` removes the metadata
//! (recording a changefeed deletion) and the GUN's server keys, and the GUN re-initialises with
//! no restart.

use std::time::Instant;

use crate::harness::{Stack, VISIBLE_WITHIN};
use notary_testkit::Backend;

fn reset(backend: Backend) {
    let stack = Stack::start(backend);
    let gun = "example.com/reset/app";
    let other = "example.com/reset/other";
    let trust = stack.trust_dir("trust");
    stack.init_with_target(&trust, gun);
    stack.init_with_target(&trust, other);
    let rows_before = stack.rows(gun, "timestamp");
    assert!(rows_before >= 1);

    let listed = stack.admin_ok(&["list-guns"]);
    for g in [gun, other] {
        let line = listed
            .lines()
            .find(|l| l.starts_with(&format!("{g}\t")))
            .unwrap_or_else(|| panic!("{g} not listed: {listed}"));
        for role in ["root", "targets", "snapshot", "timestamp"] {
            let newest = stack.db.sql(&format!(
                "select max(version) from tuf_files where gun='{g}' and role='{role}';"
            ));
            assert!(
                line.contains(&format!("{role}={}", newest.trim())),
                "{role}: {line}"
            );
        }
    }

    let out = stack.admin_ok(&["reset-gun", gun]);
    assert!(out.contains("dry run"), "{out}");
    assert_eq!(stack.rows(gun, "timestamp"), rows_before);
    assert_eq!(
        stack.status(&format!("/v2/{gun}/_trust/tuf/timestamp.json")),
        200
    );
    assert!(stack.live_keys(gun) >= 1);

    let out = stack.admin_ok(&["reset-gun", gun, "--yes"]);
    let since = Instant::now();
    assert!(out.contains("recorded the deletion"), "{out}");
    let took = stack.wait_gone(gun, since);
    eprintln!("{backend:?}: deletion visible after {took:?}");
    assert!(
        took <= VISIBLE_WITHIN,
        "deletion visible only after {took:?}"
    );
    assert_eq!(stack.live_keys(gun), 0, "server keys of {gun} still live");
    let last = stack.db.sql(&format!(
        "select category from changefeed where gun='{gun}' order by id desc limit 1;"
    ));
    assert_eq!(last.trim(), "deletion");
    let listed = stack.admin_ok(&["list-guns"]);
    assert!(!listed.contains(&format!("{gun}\t")), "{listed}");
    let shown = stack.admin_ok(&["show", gun]);
    assert!(shown.contains("does not exist"), "{shown}");
    // The other GUN is untouched.
    assert_eq!(
        stack.status(&format!("/v2/{other}/_trust/tuf/timestamp.json")),
        200
    );
    assert!(stack.live_keys(other) >= 1);

    let fresh = stack.trust_dir("fresh");
    stack.notary_ok(&fresh, &["init", gun, "-p"]);
    stack.add_and_publish(&fresh, gun, "after-reset");
    let listed = stack.notary_ok(&stack.trust_dir("reader"), &["list", gun]);
    assert!(
        listed.contains("after-reset") && !listed.contains("first"),
        "{listed}"
    );
    assert!(stack.notary_ok(&trust, &["list", other]).contains("first"));
}

notary_testkit::test_cases!(reset {
    reset_gun_postgres => (Backend::Postgres),
    reset_gun_mysql => (Backend::Mysql),
    reset_gun_sqlite => (Backend::Sqlite),
});

#[test]
fn reset_gun_with_the_signer_down_changes_nothing() {
    let mut stack = Stack::start(Backend::Sqlite);
    let gun = "example.com/reset/signer-down";
    let trust = stack.trust_dir("trust");
    stack.init_with_target(&trust, gun);
    let rows = stack.rows(gun, "targets");
    stack.kill_signer();
    let (ok, out) = stack.admin(&["reset-gun", gun, "--yes"]);
    assert!(!ok, "reset-gun succeeded without a signer: {out}");
    assert!(out.contains("signer could not delete key"), "{out}");
    assert_eq!(stack.rows(gun, "targets"), rows);
    assert_eq!(
        stack.status(&format!("/v2/{gun}/_trust/tuf/timestamp.json")),
        200
    );
}

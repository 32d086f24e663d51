//! Publish checklist (spec-server §3.13–3.14) at the HTTP level: status, code and typed detail;
//! a rejected publish leaves storage unchanged; racing publishes give one winner and `VERSION`.

use reqwest::StatusCode;
use serde_json::{json, Value};

use notary_testkit::tufclient::{key_json, sign, Key, Repo};
use notary_testkit::{error_code, Backend, Opts, Server, SignerKind};

fn detail(body: &str) -> Value {
    let v: Value = serde_json::from_str(body).unwrap();
    v["errors"][0]["detail"].clone()
}

/// A publish refused with 400 and the typed validation error `name`; returns its detail.
fn refused((st, body): (StatusCode, String), name: &str) -> Value {
    assert_eq!(st, StatusCode::BAD_REQUEST, "{body}");
    let d = detail(&body);
    assert_eq!(d["Name"], name, "{body}");
    d
}

fn rows(s: &Server) -> String {
    s.db.sql("SELECT COUNT(*) FROM tuf_files")
        .trim()
        .to_string()
        + "/"
        + s.db.sql("SELECT COUNT(*) FROM changefeed").trim()
}

/// A new repository `gun` with a server-managed snapshot, published to `s` (which must accept
/// it).
async fn new_published_repo(s: &Server, gun: &str) -> Repo {
    let repo = Repo::new(&s.client(), &s.url, gun, true).await;
    let (st, body) = s.publish_initial(gun, &repo).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    repo
}

async fn checklist(backend: Backend) {
    let s = Server::start(Opts::new(backend, SignerKind::Local));
    let c = s.client();

    // §3.14 #15: no snapshot uploaded, snapshot key held by the client → ErrBadHierarchy.
    let gun = "docker.io/check/hierarchy";
    let repo = Repo::new(&c, &s.url, gun, false).await;
    let (st, body) = s.publish_initial(gun, &repo).await;
    assert_eq!(
        (st, error_code(&body).as_str()),
        (StatusCode::BAD_REQUEST, "INVALID_UPDATE")
    );
    assert_eq!(
        body,
        "{\"errors\":[{\"code\":\"INVALID_UPDATE\",\"message\":\"Update sent by the client is invalid.\",\"detail\":{\"Name\":\"ErrBadHierarchy\",\"Error\":{\"Missing\":\"snapshot\",\"Msg\":\"no snapshot was included in update and server does not hold current snapshot key for repository\"}}}]}\n"
    );
    assert_eq!(rows(&s), "0/0");

    // The same repository with a client snapshot is accepted (§3.13 #1), the client's bytes
    // are served verbatim and the server's timestamp points at them.
    let (root, targets, snapshot) = s.publish_initial_with_snapshot(gun, &repo).await;
    assert_eq!(
        s.get(&format!("/v2/{gun}/_trust/tuf/root.json")).await.1,
        root
    );
    assert_eq!(
        s.get(&format!("/v2/{gun}/_trust/tuf/targets.json")).await.1,
        targets
    );
    assert_eq!(
        s.get(&format!("/v2/{gun}/_trust/tuf/snapshot.json"))
            .await
            .1,
        snapshot
    );
    assert_eq!(
        s.get(&format!("/v2/{gun}/_trust/tuf/1.root.json")).await.1,
        root
    );
    assert_eq!(rows(&s), "4/1");

    // §3.13 #16: root version current + 2 → ErrBadRoot.
    let d = refused(
        s.publish(gun, &[("root", &repo.root_file(3))]).await,
        "ErrBadRoot",
    );
    assert!(d["Error"]["Msg"]
        .as_str()
        .unwrap()
        .starts_with("Root modifications must increment the version"));

    // §3.5: re-sending the identical current root passes validation, storage says VERSION.
    let snap2 = repo.snapshot_file(2, &[("root", &root), ("targets", &targets)]);
    let (st, body) = s
        .publish(gun, &[("root", &root), ("snapshot", &snap2)])
        .await;
    assert_eq!((st, body.as_str()), (StatusCode::BAD_REQUEST, "{\"errors\":[{\"code\":\"VERSION\",\"message\":\"A newer version of metadata is already available.\",\"detail\":{}}]}\n"));
    assert_eq!(rows(&s), "4/1", "a rejected publish writes nothing");

    // §3.13 #33 / #34: unsigned targets / snapshot.
    let unsigned_targets = sign(
        &repo.targets_signed(2, json!({"keys": {}, "roles": []})),
        &[],
    );
    let snap = repo.snapshot_file(2, &[("root", &root), ("targets", &unsigned_targets)]);
    refused(
        s.publish(gun, &[("targets", &unsigned_targets), ("snapshot", &snap)])
            .await,
        "ErrBadTargets",
    );
    let targets2 = repo.targets_file(2);
    let unsigned_snap = sign(
        &json!({"_type": "Snapshot", "expires": "2030-01-01T00:00:00Z", "meta": {}, "version": 2}),
        &[],
    );
    refused(
        s.publish(gun, &[("targets", &targets2), ("snapshot", &unsigned_snap)])
            .await,
        "ErrBadSnapshot",
    );
    // §3.13 #39-41: snapshot hash not matching the uploaded targets.
    let snap = repo.snapshot_file(2, &[("root", &root), ("targets", &targets)]);
    refused(
        s.publish(gun, &[("targets", &targets2), ("snapshot", &snap)])
            .await,
        "ErrBadSnapshot",
    );
    // §3.13 #47: a delegation its parent does not list.
    let deleg = sign(
        &json!({"_type": "Targets", "delegations": {"keys": {}, "roles": []},
            "expires": "2030-01-01T00:00:00Z", "targets": {}, "version": 1}),
        &[&Key::ecdsa()],
    );
    let snap = repo.snapshot_file(
        2,
        &[
            ("root", &root),
            ("targets", &targets),
            ("targets/x", &deleg),
        ],
    );
    refused(
        s.publish(gun, &[("targets/x", &deleg), ("snapshot", &snap)])
            .await,
        "ErrBadTargets",
    );
    assert_eq!(rows(&s), "4/1");

    // §3.13 #17: nothing stored, no root uploaded.
    let (st, body) = s
        .publish("docker.io/check/none", &[("targets", &targets)])
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(
        detail(&body),
        json!({"Name": "ErrValidation", "Error": {"Msg": "no pre-existing root and no root provided in update."}})
    );

    // §3.13 #2: root certificate for another GUN; #32: root without signatures.
    let gun2 = "docker.io/check/wrongcn";
    let mut other = Repo::new(&c, &s.url, gun2, true).await;
    other.root = Key::root_cert("docker.io/someone/else");
    refused(s.publish_initial(gun2, &other).await, "ErrBadRoot");
    let other = Repo::new(&c, &s.url, gun2, true).await;
    let unsigned_root = sign(&other.root_signed(1), &[]);
    refused(
        s.publish(
            gun2,
            &[
                ("root", &unsigned_root),
                ("targets", &other.targets_file(1)),
            ],
        )
        .await,
        "ErrBadRoot",
    );

    // §3.13 #25/#26: the root names a timestamp key the server does not hold.
    let mut other = Repo::new(&c, &s.url, gun2, true).await;
    let foreign = Key::ecdsa();
    other.server_keys.insert(
        "timestamp".into(),
        (foreign.id(), key_json(&foreign.public)),
    );
    let d = refused(s.publish_initial(gun2, &other).await, "ErrBadRoot");
    assert!(d["Error"]["Msg"]
        .as_str()
        .unwrap()
        .contains("timestamp keys exist on the server"));
    assert_eq!(rows(&s), "4/1");

    // Server-managed snapshot (§3.13 #19, #24): root+targets, then targets alone.
    let gun3 = "docker.io/check/servermanaged";
    let repo3 = new_published_repo(&s, gun3).await;
    let (st, body) = s
        .publish(gun3, &[("targets", &repo3.targets_file(2))])
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let (st, snap) = s.get(&format!("/v2/{gun3}/_trust/tuf/snapshot.json")).await;
    assert_eq!(st, StatusCode::OK);
    let v: Value = serde_json::from_slice(&snap).unwrap();
    assert_eq!(v["signed"]["version"], 2);
    assert_eq!(
        v["signed"]["meta"]["targets"],
        notary_testkit::tufclient::file_meta(
            &s.get(&format!("/v2/{gun3}/_trust/tuf/targets.json"))
                .await
                .1
        )
    );

    // Racing publishes of the same next version: exactly one wins, the others get VERSION.
    let t3 = repo3.targets_file(3);
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let (c, base, t3) = (c.clone(), s.url.clone(), t3.clone());
        tasks.push(tokio::spawn(async move {
            notary_testkit::publish(&c, &base, gun3, &[("targets", &t3)]).await
        }));
    }
    let mut wins = 0;
    for t in tasks {
        let (st, body) = t.await.unwrap();
        if st == StatusCode::OK {
            wins += 1;
        } else {
            assert_eq!(
                (st, error_code(&body).as_str()),
                (StatusCode::BAD_REQUEST, "VERSION")
            );
        }
    }
    assert_eq!(wins, 1);
}

notary_testkit::test_cases!(async checklist {
    checklist_sqlite => (Backend::Sqlite),
    checklist_postgres => (Backend::Postgres),
    checklist_mysql => (Backend::Mysql),
});

#[tokio::test]
async fn signer_down_publish_is_5xx_and_writes_nothing() {
    let mut s = Server::start(Opts::new(Backend::Sqlite, SignerKind::Rust));
    let gun = "docker.io/check/signerdown";
    let repo = new_published_repo(&s, gun).await;
    let before = rows(&s);
    s.signer.as_mut().unwrap().proc.kill();
    let (st, body) = s.publish(gun, &[("targets", &repo.targets_file(2))]).await;
    assert!(st.is_server_error(), "{st} {body}");
    assert_eq!(rows(&s), before);
    // Nothing expired: reads keep working without the signer.
    let (st, _) = s.get(&format!("/v2/{gun}/_trust/tuf/timestamp.json")).await;
    assert_eq!(st, StatusCode::OK);
    let (st, body) = s.get("/_notary_server/health").await;
    assert_eq!(
        st,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        String::from_utf8_lossy(&body)
    );
}

async fn feed(s: &Server, query: &str) -> Value {
    s.get_json(&format!("/v2/_trust/changefeed?{query}")).await
}

fn ids(v: &Value) -> Vec<i64> {
    v["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ID"].as_str().unwrap().parse().unwrap())
        .collect()
}

async fn changefeed_paging(backend: Backend) {
    let s = Server::start(Opts::new(backend, SignerKind::Local));
    let gun = "docker.io/feed/a";
    let repo = new_published_repo(&s, gun).await;
    for v in 2..=4 {
        let (st, body) = s.publish(gun, &[("targets", &repo.targets_file(v))]).await;
        assert_eq!(st, StatusCode::OK, "{body}");
    }
    let other = "docker.io/feed/b";
    new_published_repo(&s, other).await;
    let tuf = format!("/v2/{gun}/_trust/tuf/");
    assert_eq!(
        s.status(reqwest::Method::DELETE, &tuf).await,
        StatusCode::OK
    );

    let all = feed(&s, "records=100").await;
    assert_eq!(all["count"], 6);
    let all_ids = ids(&all);
    let recs = all["records"].as_array().unwrap();
    assert_eq!(recs[0]["GUN"], gun);
    assert_eq!(recs[0]["Version"], 1);
    assert_eq!(recs[0]["SHA256"].as_str().unwrap().len(), 64);
    assert_eq!(recs[4]["GUN"], other);
    assert_eq!(recs[5]["Category"], "deletion");
    // Newest record: change_id=-1, records=1.
    let newest = feed(&s, "change_id=-1&records=1").await;
    assert_eq!(ids(&newest), vec![all_ids[5]]);
    // Forward from record k gives k+1; backward (negative records) gives k-1.
    let k = all_ids[2];
    assert_eq!(
        ids(&feed(&s, &format!("change_id={k}&records=1")).await),
        vec![all_ids[3]]
    );
    assert_eq!(
        ids(&feed(&s, &format!("change_id={k}&records=-1")).await),
        vec![all_ids[1]]
    );
    // Reverse pages are still oldest → newest.
    assert_eq!(
        ids(&feed(&s, "change_id=-1&records=3").await),
        all_ids[3..].to_vec()
    );
    // records=0 means 100; per-GUN feed filters.
    assert_eq!(feed(&s, "records=0").await["count"], 6);
    let v = s
        .get_json(&format!("/v2/{other}/_trust/changefeed?records=10"))
        .await;
    assert_eq!(v["count"], 1);
    // After a delete the same versions can be written again.
    new_published_repo(&s, gun).await;
}

notary_testkit::test_cases!(async changefeed_paging {
    changefeed_paging_sqlite => (Backend::Sqlite),
    changefeed_paging_postgres => (Backend::Postgres),
    changefeed_paging_mysql => (Backend::Mysql),
});

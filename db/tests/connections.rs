//! notary-db against the real PostgreSQL (127.0.0.1:5432) and MariaDB (127.0.0.1:3306): typed
//! binds and rows, transactions, the unique-violation error the server turns into `VERSION`,
//! pools, and PostgreSQL TLS modes. Each test makes its own database and drops it.

// Helpers outside #[test] functions panic on setup failures by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::Pool;
use diesel::result::{DatabaseErrorKind, Error};
use notary_db::{connect_mysql, connect_postgres, AnyConnection, Backend, Manager};
use notary_testkit::TestDb;

const PG: &str = "postgres://postgres@127.0.0.1:5432";
const MYSQL: &str = "mysql://root@127.0.0.1:3306";

diesel::table! {
    files (id) {
        id -> Integer,
        gun -> Text,
        version -> BigInt,
        data -> Binary,
        created_at -> Timestamp,
    }
}

#[derive(Debug, PartialEq, Queryable, Insertable)]
#[diesel(table_name = files)]
struct File {
    id: i32,
    gun: String,
    version: i64,
    data: Vec<u8>,
    created_at: NaiveDateTime,
}

/// A database of its own on `backend`, dropped at the end of the test.
fn test_db(backend: Backend) -> TestDb {
    TestDb::new(match backend {
        Backend::Postgres => notary_testkit::Backend::Postgres,
        Backend::Mysql => notary_testkit::Backend::Mysql,
        _ => unreachable!("server databases only"),
    })
}

fn pool(backend: Backend, db: &TestDb) -> Pool<Manager> {
    Pool::builder()
        .max_size(4)
        .build(Manager::new(backend, db.url()).unwrap())
        .unwrap()
}

fn create_table(c: &mut AnyConnection, backend: Backend) {
    let sql = match backend {
        Backend::Postgres => {
            "CREATE TABLE files (id INTEGER PRIMARY KEY, gun VARCHAR(255) NOT NULL, \
             version BIGINT NOT NULL, data BYTEA NOT NULL, created_at TIMESTAMP NOT NULL, \
             UNIQUE (gun, version))"
        }
        _ => {
            "CREATE TABLE files (id INTEGER PRIMARY KEY, gun VARCHAR(255) NOT NULL, \
             version BIGINT NOT NULL, data LONGBLOB NOT NULL, created_at DATETIME NOT NULL, \
             UNIQUE (gun, version))"
        }
    };
    c.batch_execute(sql).unwrap();
}

fn file(id: i32, version: i64, data: &[u8]) -> File {
    File {
        id,
        gun: "example.com/app".into(),
        version,
        data: data.to_vec(),
        created_at: chrono::DateTime::from_timestamp(1_700_000_000, 0)
            .unwrap()
            .naive_utc(),
    }
}

fn round_trip(backend: Backend) {
    let db = test_db(backend);
    let pool = pool(backend, &db);
    let mut c = pool.get().unwrap();
    create_table(&mut c, backend);

    // Typed binds in, the same values out (bytes with NUL and non-UTF-8, big versions).
    let first = file(1, 1, b"{\"signed\":\x00\xff}");
    diesel::insert_into(files::table)
        .values(&first)
        .execute(&mut *c)
        .unwrap();
    let got: File = files::table.find(1).first(&mut *c).unwrap();
    assert_eq!(got, first);

    // A transaction that fails leaves nothing behind.
    let res: Result<(), Error> = c.transaction(|c| {
        diesel::insert_into(files::table)
            .values(&file(2, 2, b"two"))
            .execute(c)?;
        Err(Error::RollbackTransaction)
    });
    assert!(res.is_err());
    let n: i64 = files::table.count().get_result(&mut *c).unwrap();
    assert_eq!(n, 1, "the rolled-back row is gone");

    // The unique (gun, version) rule surfaces as UniqueViolation (the server's VERSION).
    match diesel::insert_into(files::table)
        .values(&file(3, 1, b"dup"))
        .execute(&mut *c)
    {
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {}
        other => panic!("expected a unique violation, got {other:?}"),
    }

    // A second pooled connection sees committed rows; filters with binds work.
    let mut c2 = pool.get().unwrap();
    let versions: Vec<i64> = files::table
        .filter(files::gun.eq("example.com/app"))
        .select(files::version)
        .load(&mut *c2)
        .unwrap();
    assert_eq!(versions, vec![1]);
    drop(c);
    drop(c2);
}

#[test]
fn postgres_round_trip() {
    round_trip(Backend::Postgres);
}

#[test]
fn mysql_round_trip() {
    round_trip(Backend::Mysql);
}

fn pg_uses_tls(url: &str) -> bool {
    #[derive(QueryableByName)]
    struct Ssl {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        ssl: bool,
    }
    let mut c = connect_postgres(url).unwrap_or_else(|e| panic!("{url}: {e}"));
    diesel::sql_query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .get_result::<Ssl>(&mut c)
        .unwrap()
        .ssl
}

#[test]
fn postgres_tls_modes() {
    let db = test_db(Backend::Postgres);
    // The local server has TLS on (Debian's default); `require` encrypts, `disable` does not,
    // and libpq's `key=value` form works too.
    assert!(pg_uses_tls(&format!("{}?sslmode=require", db.url())));
    assert!(!pg_uses_tls(&format!("{}?sslmode=disable", db.url())));
    assert!(pg_uses_tls(&format!(
        "host=127.0.0.1 port=5432 user=postgres dbname={} sslmode=require",
        db.name
    )));

    // verify-full against a CA that did not sign the server's certificate is refused.
    let env = notary_testkit::Env::new();
    let ca = env.pki.root_ca.display().to_string();
    for mode in ["verify-full", "verify-ca"] {
        match connect_postgres(&format!("{}?sslmode={mode}&sslrootcert={ca}", db.url())) {
            Err(e) => assert!(e.to_string().contains("certificate"), "{mode}: {e}"),
            Ok(_) => panic!("{mode} accepted a server certificate from another CA"),
        }
    }
    // verify-full without sslrootcert: libpq's default ~/.postgresql/root.crt when it exists
    // (then the server's certificate must chain to it), else a clear configuration error.
    let default_root = std::env::var_os("HOME")
        .map(|h| std::path::Path::new(&h).join(".postgresql/root.crt"))
        .filter(|p| p.exists());
    match connect_postgres(&format!("{}?sslmode=verify-full", db.url())) {
        Err(e) if default_root.is_none() => assert!(e.to_string().contains("sslrootcert"), "{e}"),
        Err(e) => assert!(e.to_string().contains("certificate"), "{e}"),
        Ok(_) if default_root.is_some() => {} // the default root really signed the server
        Ok(_) => panic!("verify-full without any root certificate connected"),
    }
}

#[test]
fn unreachable_databases_are_errors_not_hangs() {
    let pg =
        connect_postgres("postgres://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=2");
    assert!(pg.is_err());
    let my = connect_mysql("mysql://root@127.0.0.1:1/x");
    assert!(my.is_err());
}

/// Database calls made from inside a tokio task (a `#[tokio::test]` body, a handler that
/// blocks) must not spend the task's cooperative budget: they used to, and the fifth
/// connection hung forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_calls_from_inside_a_tokio_task() {
    for _ in 0..20 {
        let mut my = connect_mysql(&format!("{MYSQL}/mysql")).unwrap();
        my.batch_execute("SELECT 1").unwrap();
        let mut pg = connect_postgres(&format!("{PG}/postgres?sslmode=disable")).unwrap();
        pg.batch_execute("SELECT 1").unwrap();
    }
}

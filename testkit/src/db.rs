//! A database of its own per test, through each database's own CLI (`sqlite3`, `psql`,
//! `mysql`): PostgreSQL at 127.0.0.1:5432 (user `postgres`, trust auth), MariaDB at
//! 127.0.0.1:3306 (`root`, no password). Creating one that cannot be reached fails the test.

use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use tempfile::TempDir;

/// Storage backend of a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    Mysql,
}

impl Backend {
    /// The `storage.backend` config value.
    pub fn config_name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite3",
            Backend::Postgres => "postgres",
            Backend::Mysql => "mysql",
        }
    }
}

/// A database created for one test and dropped when this guard drops.
pub struct TestDb {
    pub backend: Backend,
    /// The database name (SQLite: the file's stem).
    pub name: String,
    /// SQLite: the directory of the file.
    dir: Option<TempDir>,
}

/// A unique database name.
fn unique_name() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "notary_test_{}_{}_{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

impl TestDb {
    pub fn new(backend: Backend) -> TestDb {
        let db = TestDb {
            backend,
            name: unique_name(),
            dir: (backend == Backend::Sqlite).then(|| tempfile::tempdir().expect("tempdir")),
        };
        db.recreate_database();
        db
    }

    /// The `storage.backend` config value.
    pub fn config_backend(&self) -> &'static str {
        self.backend.config_name()
    }

    /// The URL form (`postgres://…`, `mysql://…`; SQLite: the file path).
    pub fn url(&self) -> String {
        match self.backend {
            Backend::Sqlite => self.sqlite_path(),
            Backend::Postgres => format!("postgres://postgres@127.0.0.1:5432/{}", self.name),
            Backend::Mysql => format!("mysql://root@127.0.0.1:3306/{}", self.name),
        }
    }

    /// The form Go's notary takes: PostgreSQL without TLS, the go-sql-driver DSN for MySQL.
    pub fn go_url(&self) -> String {
        match self.backend {
            Backend::Sqlite => self.sqlite_path(),
            Backend::Postgres => format!("{}?sslmode=disable", self.url()),
            Backend::Mysql => format!("root@tcp(127.0.0.1:3306)/{}?parseTime=True", self.name),
        }
    }

    fn sqlite_path(&self) -> String {
        let dir = self.dir.as_ref().expect("sqlite dir");
        dir.path()
            .join(format!("{}.db", self.name))
            .to_string_lossy()
            .into_owned()
    }

    /// Runs SQL on this database through its CLI; returns stdout (rows one a line, columns
    /// separated by `|`).
    pub fn sql(&self, sql: &str) -> String {
        match self.backend {
            // `.timeout`: wait for a server's write lock instead of "database is locked".
            Backend::Sqlite => run(Command::new("sqlite3")
                .args(["-cmd", ".timeout 10000"])
                .arg(self.sqlite_path())
                .arg(sql)),
            Backend::Postgres => psql(&self.name, sql),
            Backend::Mysql => mysql(&self.name, sql),
        }
    }

    /// `SELECT COUNT(*) FROM <from_where>`.
    pub fn count(&self, from_where: &str) -> i64 {
        let out = self.sql(&format!("SELECT COUNT(*) FROM {from_where}"));
        out.trim()
            .parse()
            .unwrap_or_else(|e| panic!("COUNT(*) FROM {from_where}: {e}: {out:?}"))
    }

    /// Drops the database (PostgreSQL: terminating its connections) without consuming the
    /// guard; best effort. SQLite: nothing.
    pub fn drop_database(&self) {
        let _ = match self.backend {
            Backend::Sqlite => return,
            Backend::Postgres => admin_psql()
                .arg(format!(
                    "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                    self.name
                ))
                .output(),
            Backend::Mysql => admin_mysql()
                .arg(format!("DROP DATABASE IF EXISTS `{}`", self.name))
                .output(),
        };
    }

    /// Creates the (dropped or not yet created) database, empty; fails the test when the
    /// database server cannot be reached. SQLite: nothing (the file appears on first use).
    pub fn recreate_database(&self) {
        match self.backend {
            Backend::Sqlite => {}
            Backend::Postgres => {
                run(admin_psql().arg(format!("CREATE DATABASE \"{}\"", self.name)));
            }
            Backend::Mysql => {
                run(admin_mysql().arg(format!("CREATE DATABASE `{}`", self.name)));
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        self.drop_database();
    }
}

/// Runs a CLI; panics with its output unless it succeeds; returns stdout.
fn run(cmd: &mut Command) -> String {
    let out: Output = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn psql_on(db: &str) -> Command {
    let mut cmd = Command::new("psql");
    cmd.args(["-h", "127.0.0.1", "-p", "5432", "-U", "postgres"])
        .args(["-v", "ON_ERROR_STOP=1", "-d", db, "-qAtc"]);
    cmd
}

fn admin_psql() -> Command {
    psql_on("postgres")
}

fn admin_mysql() -> Command {
    let mut cmd = Command::new("mysql");
    cmd.args([
        "-h",
        "127.0.0.1",
        "-P",
        "3306",
        "-u",
        "root",
        "-N",
        "-B",
        "-e",
    ]);
    cmd
}

fn psql(db: &str, sql: &str) -> String {
    run(psql_on(db).arg(sql))
}

fn mysql(db: &str, sql: &str) -> String {
    run(Command::new("mysql")
        .args(["-h", "127.0.0.1", "-P", "3306", "-u", "root", "-N", "-B"])
        .arg(db)
        .arg("-e")
        .arg(sql))
}

//! Integration tests of notary-signer: real mTLS on loopback, real SQLite / PostgreSQL
//! (127.0.0.1:5432, user postgres) / MariaDB (127.0.0.1:3306, root). Each test creates its own
//! database and drops it afterwards; an unreachable database fails the test.

// Helpers outside #[test] functions panic on setup failures by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod adoption;
mod go_interop;
mod memory;
mod mtls;
mod process;
mod rpc;
mod support;

/// One `#[tokio::test]` per `name => function(args)` line, each called with the database `$db`
/// first.
macro_rules! db_tests {
    ($db:expr; $($name:ident => $f:path $(, $arg:expr)*;)*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                $f($db $(, $arg)*).await;
            }
        )*
    };
}

macro_rules! backend_suite {
    ($name:ident, $db:expr) => {
        mod $name {
            use crate::support::Db;
            use crate::{adoption, rpc};

            db_tests! { $db;
                ecdsa_lifecycle => rpc::lifecycle, "ecdsa";
                ed25519_lifecycle => rpc::lifecycle, "ed25519";
                unsupported_algorithms => rpc::unsupported_algorithms;
                unknown_keys => rpc::unknown_keys;
                operator_sql_delete => rpc::operator_sql_delete;
                passphrase_aliases => rpc::passphrase_aliases;
                health_names => rpc::health_names;
                concurrent_signing => rpc::concurrent_signing;
                replicas_start_together => adoption::replicas_start_together;
                adopts_existing_schema => adoption::adopts_existing_schema;
            }
        }
    };
}

mod outage {
    use crate::rpc;
    use crate::support::Db;

    db_tests! { Db::Postgres; postgres_health_follows_database => rpc::health_follows_database; }
    db_tests! { Db::Mysql; mariadb_health_follows_database => rpc::health_follows_database; }
}

backend_suite!(sqlite, Db::Sqlite);
backend_suite!(postgres, Db::Postgres);
backend_suite!(mariadb, Db::Mysql);

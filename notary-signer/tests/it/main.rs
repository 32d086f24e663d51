//! Integration tests of notary-signer: real mTLS on loopback, real SQLite / PostgreSQL
//! (127.0.0.1:5432, user postgres) / MariaDB (127.0.0.1:3306, root). Each test creates its own
//! database and drops it afterwards; an unreachable database fails the test.

mod adoption;
mod go_interop;
mod memory;
mod mtls;
mod process;
mod rpc;
mod support;

macro_rules! backend_suite {
    ($name:ident, $db:expr) => {
        mod $name {
            use crate::rpc;
            use crate::support::Db;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn ecdsa_lifecycle() {
                rpc::lifecycle($db, "ecdsa").await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn ed25519_lifecycle() {
                rpc::lifecycle($db, "ed25519").await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn unsupported_algorithms() {
                rpc::unsupported_algorithms($db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn unknown_keys() {
                rpc::unknown_keys($db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn operator_sql_delete() {
                rpc::operator_sql_delete($db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn passphrase_aliases() {
                rpc::passphrase_aliases($db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn health_names() {
                rpc::health_names($db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn concurrent_signing() {
                rpc::concurrent_signing($db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn replicas_start_together() {
                crate::adoption::replicas_start_together($db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn adopts_existing_schema() {
                crate::adoption::adopts_existing_schema($db).await;
            }
        }
    };
}

mod outage {
    use crate::rpc;
    use crate::support::Db;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_health_follows_database() {
        rpc::health_follows_database(Db::Postgres).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn mariadb_health_follows_database() {
        rpc::health_follows_database(Db::Mysql).await;
    }
}

backend_suite!(sqlite, Db::Sqlite);
backend_suite!(postgres, Db::Postgres);
backend_suite!(mariadb, Db::Mysql);

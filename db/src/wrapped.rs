//! `PgConnection` and `MysqlConnection`: diesel-async's connections behind diesel's synchronous
//! `Connection`, as new types so that they can also take part in `#[derive(MultiConnection)]`
//! (which needs `MultiConnectionHelper`, a diesel trait that diesel-async's wrapper lacks).
//!
//! Everything is delegated to `AsyncConnectionWrapper`, except the metadata lookup hand-off of
//! `MultiConnectionHelper`. diesel's own PostgreSQL connection hands itself over as the type
//! lookup; diesel-async's lookup cannot be handed over (it does not implement `as_any`), so ours
//! hands over [`BuiltinTypesOnly`]: every SQL type our schemas use (text, integer, bigint,
//! bytea, timestamp) has a fixed OID and never asks for a lookup; a user-defined type would
//! fail with diesel's "failed to look up type" error instead of being sent wrong.

use std::borrow::Cow;

use diesel::connection::{
    CacheSize, Connection, ConnectionSealed, Instrumentation, LoadConnection,
    MultiConnectionHelper, SimpleConnection, TransactionManager, TransactionManagerStatus,
};
use diesel::expression::QueryMetadata;
use diesel::migration::MigrationConnection;
use diesel::mysql::Mysql;
use diesel::pg::{
    FailedToLookupTypeError, Pg, PgMetadataCacheKey, PgMetadataLookup, PgTypeMetadata,
};
use diesel::query_builder::{Query, QueryFragment, QueryId};
use diesel::r2d2::R2D2Connection;
use diesel::sql_types::TypeMetadata;
use diesel::{ConnectionResult, QueryResult};
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::{AsyncMysqlConnection, AsyncPgConnection};

use crate::runtime::DbRuntime;

/// The PostgreSQL metadata lookup handed over by [`PgConnection`]: built-in types only.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuiltinTypesOnly;

impl PgMetadataLookup for BuiltinTypesOnly {
    fn lookup_type(&mut self, type_name: &str, schema: Option<&str>) -> PgTypeMetadata {
        let key = PgMetadataCacheKey::new(
            schema.map(|s| Cow::Owned(s.to_owned())),
            Cow::Owned(type_name.to_owned()),
        );
        PgTypeMetadata::from_result(Err(FailedToLookupTypeError::new(key)))
    }
}

macro_rules! wrapped_connection {
    ($(#[$doc:meta])* $name:ident, $inner:ty, $backend:ty, $tm:ident, $alias:ident, $connect:path) => {
        $(#[$doc])*
        // Boxed: the PostgreSQL state is large and pooled connections move around.
        pub struct $name(Box<AsyncConnectionWrapper<$inner, DbRuntime>>);

        impl $name {
            pub(crate) fn new(inner: $inner) -> Self {
                Self(Box::new(AsyncConnectionWrapper::from(inner)))
            }
        }

        impl ConnectionSealed for $name {}

        impl SimpleConnection for $name {
            fn batch_execute(&mut self, query: &str) -> QueryResult<()> {
                self.0.batch_execute(query)
            }
        }

        /// Transactions of the wrapped connection.
        pub struct $tm;

        type $alias = AsyncConnectionWrapper<$inner, DbRuntime>;

        impl TransactionManager<$name> for $tm {
            type TransactionStateData =
                <<$alias as Connection>::TransactionManager as TransactionManager<$alias>>::TransactionStateData;

            fn begin_transaction(conn: &mut $name) -> QueryResult<()> {
                <<$alias as Connection>::TransactionManager as TransactionManager<$alias>>::begin_transaction(&mut conn.0)
            }

            fn rollback_transaction(conn: &mut $name) -> QueryResult<()> {
                <<$alias as Connection>::TransactionManager as TransactionManager<$alias>>::rollback_transaction(&mut conn.0)
            }

            fn commit_transaction(conn: &mut $name) -> QueryResult<()> {
                <<$alias as Connection>::TransactionManager as TransactionManager<$alias>>::commit_transaction(&mut conn.0)
            }

            fn transaction_manager_status_mut(conn: &mut $name) -> &mut TransactionManagerStatus {
                <<$alias as Connection>::TransactionManager as TransactionManager<$alias>>::transaction_manager_status_mut(&mut conn.0)
            }

            fn is_broken_transaction_manager(conn: &mut $name) -> bool {
                <<$alias as Connection>::TransactionManager as TransactionManager<$alias>>::is_broken_transaction_manager(&mut conn.0)
            }
        }

        impl Connection for $name {
            type Backend = $backend;
            type TransactionManager = $tm;

            /// The same path as the pool's connections (for PostgreSQL: libpq's TLS
            /// parameters honoured), not diesel-async's plain-text default.
            fn establish(database_url: &str) -> ConnectionResult<Self> {
                $connect(database_url)
            }

            fn execute_returning_count<T>(&mut self, source: &T) -> QueryResult<usize>
            where
                T: QueryFragment<Self::Backend> + QueryId,
            {
                self.0.execute_returning_count(source)
            }

            fn transaction_state(
                &mut self,
            ) -> &mut <$tm as TransactionManager<Self>>::TransactionStateData {
                self.0.transaction_state()
            }

            fn instrumentation(&mut self) -> &mut dyn Instrumentation {
                self.0.instrumentation()
            }

            fn set_instrumentation(&mut self, instrumentation: impl Instrumentation) {
                self.0.set_instrumentation(instrumentation)
            }

            fn set_prepared_statement_cache_size(&mut self, size: CacheSize) {
                self.0.set_prepared_statement_cache_size(size)
            }
        }

        impl LoadConnection for $name {
            type Cursor<'conn, 'query> = <$alias as LoadConnection>::Cursor<'conn, 'query>;
            type Row<'conn, 'query> = <$alias as LoadConnection>::Row<'conn, 'query>;

            fn load<'conn, 'query, T>(
                &'conn mut self,
                source: T,
            ) -> QueryResult<Self::Cursor<'conn, 'query>>
            where
                T: Query + QueryFragment<Self::Backend> + QueryId + 'query,
                Self::Backend: QueryMetadata<T::SqlType>,
            {
                self.0.load(source)
            }
        }

        impl R2D2Connection for $name {
            fn ping(&mut self) -> QueryResult<()> {
                self.0.ping()
            }

            fn is_broken(&mut self) -> bool {
                self.0.is_broken()
            }
        }

        impl MigrationConnection for $name {
            fn setup(&mut self) -> QueryResult<usize> {
                self.0.setup()
            }
        }
    };
}

wrapped_connection!(
    /// A PostgreSQL connection with diesel's synchronous API (tokio-postgres underneath).
    PgConnection,
    AsyncPgConnection,
    Pg,
    PgTransactions,
    InnerPg,
    crate::connect_postgres
);

wrapped_connection!(
    /// A MySQL/MariaDB connection with diesel's synchronous API (mysql_async underneath).
    MysqlConnection,
    AsyncMysqlConnection,
    Mysql,
    MysqlTransactions,
    InnerMysql,
    crate::connect_mysql
);

impl MultiConnectionHelper for PgConnection {
    fn to_any<'a>(
        _lookup: &mut <Pg as TypeMetadata>::MetadataLookup,
    ) -> &mut (dyn std::any::Any + 'a) {
        // A zero-sized value: leaking its box allocates nothing.
        Box::leak(Box::new(BuiltinTypesOnly))
    }

    fn from_any(
        lookup: &mut dyn std::any::Any,
    ) -> Option<&mut <Pg as TypeMetadata>::MetadataLookup> {
        lookup
            .downcast_mut::<BuiltinTypesOnly>()
            .map(|l| l as &mut dyn PgMetadataLookup)
    }
}

impl MultiConnectionHelper for MysqlConnection {
    fn to_any<'a>(
        lookup: &mut <Mysql as TypeMetadata>::MetadataLookup,
    ) -> &mut (dyn std::any::Any + 'a) {
        lookup
    }

    fn from_any(
        lookup: &mut dyn std::any::Any,
    ) -> Option<&mut <Mysql as TypeMetadata>::MetadataLookup> {
        lookup.downcast_mut()
    }
}

//! [`ConnectError`]: why a store could not be built.

/// Why [`PgConfig::connect`](crate::PgConfig::connect) failed. Messages
/// carry the driver's error (which never includes the password).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The connection string could not be parsed.
    #[error("invalid PostgreSQL connection string: {0}")]
    Config(#[source] tokio_postgres::Error),
    /// The first connection failed (refused, authentication, TLS required,
    /// server starting up…).
    #[error("cannot connect to PostgreSQL: {0}")]
    Connect(#[source] tokio_postgres::Error),
    /// The first connection (with its statements prepared) did not complete
    /// within the connect timeout.
    #[error("connecting to PostgreSQL timed out")]
    Timeout,
    /// Applying or reading the schema failed.
    #[error("oneshot schema migration failed: {0}")]
    Migration(#[source] tokio_postgres::Error),
    /// The database has an older schema and migrations are off.
    #[error(
        "the oneshot schema is at version {found}, this store needs {expected}; \
         run the migrations (oneshot_postgres::MIGRATIONS) or enable run_migrations"
    )]
    SchemaOutdated {
        /// The version found (0: no schema).
        found: i32,
        /// The version this crate needs.
        expected: i32,
    },
    /// The database has a newer schema than this crate knows.
    #[error("the oneshot schema is at version {found}, newer than this store's {supported}")]
    SchemaTooNew {
        /// The version found.
        found: i32,
        /// The newest version this crate knows.
        supported: i32,
    },
}

//! [`ConnectError`]: why a store could not be built; how driver errors are
//! shown.

use std::fmt;

/// Why [`PgConfig::connect`](crate::PgConfig::connect) failed. Messages
/// carry the driver's error (which never includes the password).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The connection string could not be parsed.
    #[error("invalid PostgreSQL connection string: {}", Shown(.0))]
    Config(#[source] tokio_postgres::Error),
    /// The first connection failed (refused, authentication, TLS required,
    /// server starting up…).
    #[error("cannot connect to PostgreSQL: {}", Shown(.0))]
    Connect(#[source] tokio_postgres::Error),
    /// The first connection (with its statements prepared) did not complete
    /// within the connect timeout.
    #[error("connecting to PostgreSQL timed out")]
    Timeout,
    /// Applying or reading the schema failed.
    #[error("oneshot schema migration failed: {}", Shown(.0))]
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

/// Shows a driver error with what it wraps: `tokio_postgres::Error` says
/// only "db error" for a server's error reply, and keeps the reply (and an
/// I/O error) as its source. For a server error: severity, SQLSTATE and
/// message, not the DETAIL (which can quote values).
pub(crate) struct Shown<'a>(pub(crate) &'a tokio_postgres::Error);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self.0;
        match e.as_db_error() {
            Some(db) => write!(
                f,
                "{} {}: {}",
                db.severity(),
                db.code().code(),
                db.message()
            ),
            None => match std::error::Error::source(e) {
                Some(source) => write!(f, "{e}: {source}"),
                None => write!(f, "{e}"),
            },
        }
    }
}

/// A driver error as the source of a [`StoreError`](oneshot_core::StoreError),
/// shown with [`Shown`].
#[derive(Debug)]
pub(crate) struct PgError(pub(crate) tokio_postgres::Error);

impl fmt::Display for PgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Shown(&self.0).fmt(f)
    }
}

impl std::error::Error for PgError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

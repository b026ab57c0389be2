//! [`OpenError`]: why a store could not be opened.

/// Why [`SqliteConfig::open`](crate::SqliteConfig::open) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// SQLite could not open or set up the database.
    #[error("cannot open the SQLite database: {0}")]
    Sqlite(#[source] rusqlite::Error),
    /// The database has a newer oneshot schema than this crate knows.
    #[error("the oneshot schema is at version {found}, newer than this store's {supported}")]
    SchemaTooNew {
        /// The version found (`PRAGMA user_version`).
        found: i32,
        /// The newest version this crate knows.
        supported: i32,
    },
    /// The file is not in WAL mode after asking for it (e.g. a read-only
    /// directory where SQLite cannot create the `-wal` file).
    #[error("the database could not be switched to WAL mode (it is in {0} mode)")]
    NotWal(String),
    /// Opening runs on a blocking thread, which could not be had.
    #[error("the blocking open task failed: {0}")]
    Task(#[source] tokio::task::JoinError),
    /// The writer thread could not be started.
    #[error("cannot start the SQLite writer thread: {0}")]
    Thread(#[source] std::io::Error),
}

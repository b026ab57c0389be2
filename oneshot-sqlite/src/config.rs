//! [`SqliteConfig`]: which file, how durable, and the store's limits.

use std::path::PathBuf;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::OpenError;
use crate::schema::{self, SchemaError};

/// Default for [`SqliteConfig::busy_timeout`].
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(2);
/// Default for [`SqliteConfig::call_timeout`].
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(5);
/// Default for [`SqliteConfig::max_ttl`].
pub const DEFAULT_MAX_TTL: Duration = Duration::from_secs(72 * 3600);
/// Default for [`SqliteConfig::purge_interval`].
pub const DEFAULT_PURGE_INTERVAL: Duration = Duration::from_secs(60);
/// Default for [`SqliteConfig::purge_batch`].
pub const DEFAULT_PURGE_BATCH: u32 = 1000;

/// How hard SQLite pushes each commit to the disk (`PRAGMA synchronous`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Synchronous {
    /// `FULL` (the default): the WAL is synced at every commit, so a call
    /// that returned survives a power loss or an OS crash too.
    #[default]
    Full,
    /// `NORMAL`: the WAL is synced at checkpoints only. A committed take
    /// survives the process being killed, but the last commits before a power
    /// loss or OS crash can be rolled back, and a secret taken then can come
    /// back. Faster, since commits wait for no disk flush.
    Normal,
}

/// Where the database is.
#[derive(Clone, Debug)]
enum Target {
    File(PathBuf),
    Memory,
}

/// Configuration of a [`SqliteStore`](crate::SqliteStore), with a builder.
///
/// ```no_run
/// # async fn demo() -> Result<(), oneshot_sqlite::OpenError> {
/// use std::time::Duration;
/// use oneshot_sqlite::SqliteConfig;
///
/// let store = SqliteConfig::file("/var/lib/oneshot/secrets.db")
///     .busy_timeout(Duration::from_secs(2))
///     .open()
///     .await?;
/// # drop(store);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct SqliteConfig {
    target: Target,
    pub(crate) busy_timeout: Duration,
    pub(crate) call_timeout: Duration,
    pub(crate) synchronous: Synchronous,
    pub(crate) max_ttl: Duration,
    pub(crate) purge_interval: Option<Duration>,
    pub(crate) purge_batch: u32,
}

impl SqliteConfig {
    /// A database file (created if missing), in WAL mode.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Self::with_target(Target::File(path.into()))
    }

    /// A private in-memory database: nothing survives the store.
    pub fn in_memory() -> Self {
        Self::with_target(Target::Memory)
    }

    fn with_target(target: Target) -> Self {
        Self {
            target,
            busy_timeout: DEFAULT_BUSY_TIMEOUT,
            call_timeout: DEFAULT_CALL_TIMEOUT,
            synchronous: Synchronous::Full,
            max_ttl: DEFAULT_MAX_TTL,
            purge_interval: Some(DEFAULT_PURGE_INTERVAL),
            purge_batch: DEFAULT_PURGE_BATCH,
        }
    }

    /// How long a write waits for another process's write lock on the same
    /// file before the call fails with `Unavailable`. Default 2 s.
    #[must_use]
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// How long a caller waits for its call. Default 5 s. A call still
    /// queued then is withdrawn (`Unavailable`); one already running is
    /// `Indeterminate`. Keep it above the busy timeout.
    #[must_use]
    pub fn call_timeout(mut self, timeout: Duration) -> Self {
        self.call_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// `PRAGMA synchronous`: [`Synchronous::Full`] by default.
    #[must_use]
    pub fn synchronous(mut self, synchronous: Synchronous) -> Self {
        self.synchronous = synchronous;
        self
    }

    /// The longest lifetime accepted (longer is `InvalidTtl`), which is also
    /// how long a taken, burned or destroyed id stays spent. Default 72 h.
    #[must_use]
    pub fn max_ttl(mut self, max: Duration) -> Self {
        self.max_ttl = max.min(oneshot_core::store::LONGEST_KEEP);
        self
    }

    /// How often the writer thread purges, or `None` for never (then call
    /// [`SqliteStore::purge_expired`](crate::SqliteStore::purge_expired)). Default 60 s.
    #[must_use]
    pub fn purge_interval(mut self, interval: Option<Duration>) -> Self {
        self.purge_interval = interval.map(|i| i.max(Duration::from_millis(10)));
        self
    }

    /// Rows per purge statement (at least 1). Default 1000.
    #[must_use]
    pub fn purge_batch(mut self, rows: u32) -> Self {
        self.purge_batch = rows.max(1);
        self
    }

    /// The connection, set up: pragmas, then migrations.
    pub(crate) fn connect(&self) -> Result<Connection, OpenError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = match &self.target {
            Target::File(path) => Connection::open_with_flags(path, flags),
            Target::Memory => Connection::open_in_memory_with_flags(flags),
        }
        .map_err(OpenError::Sqlite)?;
        conn.busy_timeout(self.busy_timeout)
            .map_err(OpenError::Sqlite)?;
        if let Target::File(_) = self.target {
            let mode: String = conn
                .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
                .map_err(OpenError::Sqlite)?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(OpenError::NotWal(mode));
            }
        }
        let synchronous = match self.synchronous {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        };
        conn.execute_batch(&format!("PRAGMA synchronous = {synchronous}"))
            .map_err(OpenError::Sqlite)?;
        schema::migrate(&mut conn).map_err(|e| match e {
            SchemaError::Sqlite(e) => OpenError::Sqlite(e),
            SchemaError::TooNew { found, supported } => {
                OpenError::SchemaTooNew { found, supported }
            }
        })?;
        Ok(conn)
    }
}

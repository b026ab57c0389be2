//! [`PgConfig`]: where the database is, how long to wait for it, and the
//! store's limits.

use std::str::FromStr;
use std::time::Duration;

use crate::error::ConnectError;

/// Default for [`PgConfig::connections`].
pub const DEFAULT_CONNECTIONS: usize = 8;
/// Default for [`PgConfig::connect_timeout`].
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// Default for [`PgConfig::response_timeout`].
pub const DEFAULT_RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);
/// Default for [`PgConfig::max_ttl`].
pub const DEFAULT_MAX_TTL: Duration = Duration::from_secs(72 * 3600);
/// Default for [`PgConfig::purge_interval`].
pub const DEFAULT_PURGE_INTERVAL: Duration = Duration::from_secs(60);
/// Default for [`PgConfig::purge_batch`].
pub const DEFAULT_PURGE_BATCH: u32 = 1000;

/// Configuration of a [`PgStore`](crate::PgStore), with a builder.
///
/// ```no_run
/// # async fn demo() -> Result<(), oneshot_postgres::ConnectError> {
/// use std::time::Duration;
/// use oneshot_postgres::PgConfig;
///
/// let store = PgConfig::new("postgres://oneshot:secret@db.internal/oneshot")?
///     .connections(16)
///     .connect_timeout(Duration::from_secs(1))
///     .response_timeout(Duration::from_secs(2))
///     .connect()
///     .await?;
/// # drop(store);
/// # Ok(())
/// # }
/// ```
///
/// `Debug` shows the connection settings with the password redacted.
#[derive(Clone, Debug)]
pub struct PgConfig {
    pub(crate) pg: tokio_postgres::Config,
    pub(crate) connections: usize,
    pub(crate) connect_timeout: Duration,
    pub(crate) response_timeout: Duration,
    pub(crate) statement_timeout: Option<Duration>,
    pub(crate) max_ttl: Duration,
    pub(crate) purge_interval: Option<Duration>,
    pub(crate) purge_batch: u32,
    pub(crate) run_migrations: bool,
}

impl PgConfig {
    /// Parses a libpq connection string: a URL
    /// (`postgres://user:password@host:5432/db`) or `key=value` pairs
    /// (`host=/run/postgresql dbname=oneshot`). TLS is not supported: use a
    /// unix socket, a private network or a TLS-terminating proxy.
    pub fn new(connection_string: &str) -> Result<Self, ConnectError> {
        let pg =
            tokio_postgres::Config::from_str(connection_string).map_err(ConnectError::Config)?;
        Ok(Self::from_pg_config(pg))
    }

    /// From a driver configuration built in code.
    pub fn from_pg_config(pg: tokio_postgres::Config) -> Self {
        Self {
            pg,
            connections: DEFAULT_CONNECTIONS,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            response_timeout: DEFAULT_RESPONSE_TIMEOUT,
            statement_timeout: None,
            max_ttl: DEFAULT_MAX_TTL,
            purge_interval: Some(DEFAULT_PURGE_INTERVAL),
            purge_batch: DEFAULT_PURGE_BATCH,
            run_migrations: true,
        }
    }

    /// How many connections the store opens (lazily, as calls arrive), at
    /// least 1. Default 8. Calls are pipelined on them, so tasks need not
    /// wait for a free connection; but each connection commits one
    /// statement at a time, so with `synchronous_commit` on, throughput grows
    /// with connections until the server's disk or CPUs are saturated.
    #[must_use]
    pub fn connections(mut self, connections: usize) -> Self {
        self.connections = connections.max(1);
        self
    }

    /// How long connecting may take: TCP, startup, authentication and
    /// preparing the statements. Default 1 s. A call that must connect and
    /// cannot within it fails with `Unavailable` (nothing was sent). Values
    /// under 1 ms are raised to 1 ms.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// How long to wait for a statement's reply once sent. Default 2 s. A
    /// statement that times out may still run (or have run) on the server,
    /// so the call is `Indeterminate`. Values under 1 ms are raised to 1 ms.
    #[must_use]
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// The server-side `statement_timeout` of the store's sessions, so that
    /// a statement nobody waits for any more does not run on. Default: the
    /// response timeout. A statement the server cancels was rolled back, so
    /// that reply is `Unavailable`.
    #[must_use]
    pub fn statement_timeout(mut self, timeout: Duration) -> Self {
        self.statement_timeout = Some(timeout.max(Duration::from_millis(1)));
        self
    }

    /// The longest lifetime accepted (longer is `InvalidTtl`), which is also
    /// how long a taken, burned or destroyed id stays spent. Default 72 h;
    /// at most 100 years.
    #[must_use]
    pub fn max_ttl(mut self, max: Duration) -> Self {
        self.max_ttl = max.min(oneshot_core::store::LONGEST_KEEP);
        self
    }

    /// How often the background purger runs, or `None` for no purger (then
    /// call [`PgStore::purge_expired`](crate::PgStore::purge_expired) yourself). Default 60 s. Expired
    /// secrets are never returned either way; purging frees their space.
    #[must_use]
    pub fn purge_interval(mut self, interval: Option<Duration>) -> Self {
        self.purge_interval = interval.map(|i| i.max(Duration::from_millis(10)));
        self
    }

    /// Rows per purge statement (at least 1). Default 1000. A purge pass
    /// runs batches until one comes back short, at most 100 of them.
    #[must_use]
    pub fn purge_batch(mut self, rows: u32) -> Self {
        self.purge_batch = rows.max(1);
        self
    }

    /// Whether connecting applies missing migrations (default) or only
    /// checks that the schema is current.
    #[must_use]
    pub fn run_migrations(mut self, run: bool) -> Self {
        self.run_migrations = run;
        self
    }
}

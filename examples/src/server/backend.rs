//! Which store the server keeps its secrets in (`--redis`, `--redis-cluster`,
//! `--postgres`, `--sqlite`, or memory), and opening it: connected, told the
//! longest lifetime, its configuration checked.
//!
//! Store URLs hold passwords, so they may come from a file or the
//! environment instead of the command line, and no message here ever shows
//! one (nor the driver's rendering of one).

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use oneshot_core::SecretStore;

/// The environment variable that may hold the Redis URL.
pub const REDIS_URL_ENV: &str = "ONESHOT_REDIS_URL";
/// The environment variable that may hold the PostgreSQL connection string.
pub const POSTGRES_URL_ENV: &str = "ONESHOT_POSTGRES_URL";

/// How often the memory store purges expired secrets.
const MEMORY_PURGE_INTERVAL: Duration = Duration::from_secs(30);

/// The store flags of `oneshot-server`, flattened into its arguments. At most
/// one store may be chosen; with none, secrets live in memory.
#[derive(Clone, Default, clap::Args)]
#[group(skip)]
#[command(group(clap::ArgGroup::new("store").multiple(false)))]
pub struct StoreArgs {
    /// Store secrets in the Redis server at URL (redis://host:port/db). A
    /// URL with a password is better given with --redis-url-file or
    /// ONESHOT_REDIS_URL (argv is visible to every local user).
    #[arg(long, group = "store", value_name = "URL")]
    pub redis: Option<String>,

    /// Store secrets in Redis, at the URL held in this file (surrounding
    /// whitespace ignored).
    #[arg(long, group = "store", value_name = "PATH")]
    pub redis_url_file: Option<PathBuf>,

    /// Store secrets in a Redis Cluster; give one or more node URLs (repeat the flag).
    #[arg(long, group = "store", value_name = "URL")]
    pub redis_cluster: Vec<String>,

    /// Store secrets in PostgreSQL (postgres://user@host:port/db, or
    /// key=value pairs). Better given with --postgres-url-file or
    /// ONESHOT_POSTGRES_URL when it holds a password.
    #[arg(long, group = "store", value_name = "URL")]
    pub postgres: Option<String>,

    /// Store secrets in PostgreSQL, at the connection string held in this
    /// file (surrounding whitespace ignored).
    #[arg(long, group = "store", value_name = "PATH")]
    pub postgres_url_file: Option<PathBuf>,

    /// Store secrets in this SQLite database file (created if missing; WAL).
    #[arg(long, group = "store", value_name = "PATH")]
    pub sqlite: Option<PathBuf>,

    /// SQLite's `synchronous`: full (every commit on disk before it is
    /// answered) or normal (faster; the last takes before a power loss can
    /// be undone, which --strict refuses).
    #[arg(long, value_enum, default_value_t = SqliteSync::Full, value_name = "LEVEL", requires = "sqlite")]
    pub sqlite_synchronous: SqliteSync,

    /// Refuse to start when the store's configuration may break the
    /// promises (eviction, persistence of taken secrets, asynchronous
    /// replicas, synchronous_commit or fsync off, SQLite below
    /// synchronous=FULL), or cannot be checked. Without it these are WARN
    /// lines in the log.
    #[arg(long)]
    pub strict: bool,
}

/// Which URLs were given is shown, never the URLs.
impl fmt::Debug for StoreArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreArgs")
            .field("redis", &self.redis.as_ref().map(|_| "<redacted>"))
            .field("redis_url_file", &self.redis_url_file)
            .field("redis_cluster", &self.redis_cluster.len())
            .field("postgres", &self.postgres.as_ref().map(|_| "<redacted>"))
            .field("postgres_url_file", &self.postgres_url_file)
            .field("sqlite", &self.sqlite)
            .field("sqlite_synchronous", &self.sqlite_synchronous)
            .field("strict", &self.strict)
            .finish()
    }
}

/// `--sqlite-synchronous`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
#[non_exhaustive]
pub enum SqliteSync {
    /// `PRAGMA synchronous = FULL`.
    #[default]
    Full,
    /// `PRAGMA synchronous = NORMAL`.
    Normal,
}

/// The store chosen, with its URL read.
#[derive(Clone)]
#[non_exhaustive]
pub enum Backend {
    /// This process's memory.
    Memory,
    /// One Redis server.
    Redis(String),
    /// A Redis Cluster, by seed node URLs.
    RedisCluster(Vec<String>),
    /// PostgreSQL, by connection string.
    Postgres(String),
    /// A SQLite file.
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// Its `synchronous` level.
        synchronous: SqliteSync,
    },
}

impl fmt::Debug for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Backend {
    /// What the store is, for logs: `"in-memory store"`, `"PostgreSQL
    /// store"`… (never a URL).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Memory => "in-memory store",
            Self::Redis(_) => "Redis store",
            Self::RedisCluster(_) => "Redis Cluster store",
            Self::Postgres(_) => "PostgreSQL store",
            Self::Sqlite { .. } => "SQLite store",
        }
    }
}

/// Why the store could not be chosen or opened. No variant holds a URL.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackendError {
    /// Two stores were given (flags and environment together).
    #[error("{0} and {1} are both set; choose one store")]
    Conflict(&'static str, &'static str),
    /// A URL file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    UrlFile {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A URL file or variable is empty, or not UTF-8.
    #[error("{0} holds no URL (empty or not UTF-8)")]
    NoUrl(String),
    /// The store's URL could not be parsed.
    #[error("invalid {0} URL (not shown, it may hold a password)")]
    InvalidUrl(&'static str),
    /// The store could not be reached or opened.
    #[error("cannot open the {what}: {reason}")]
    Open {
        /// The store (`Backend::name`).
        what: &'static str,
        /// Why, without the URL.
        reason: String,
    },
    /// `--strict`, and the store's configuration may break the promises.
    #[error(
        "--strict: the {what}'s configuration may break oneshot's promises: {}",
        warnings.join("; ")
    )]
    Strict {
        /// The store (`Backend::name`).
        what: &'static str,
        /// What its `check_server` found.
        warnings: Vec<String>,
    },
    /// `--strict`, and the store's configuration could not be read.
    #[error("--strict: could not check the {what}'s configuration: {reason}")]
    Unchecked {
        /// The store (`Backend::name`).
        what: &'static str,
        /// Why.
        reason: String,
    },
}

impl BackendError {
    /// Whether this is a mistake in the flags or configuration (exit code
    /// 2) rather than a store that cannot be used (exit code 1).
    pub fn is_configuration(&self) -> bool {
        matches!(
            self,
            Self::Conflict(..) | Self::UrlFile { .. } | Self::NoUrl(_) | Self::InvalidUrl(_)
        )
    }
}

impl StoreArgs {
    /// The store chosen by the flags and by [`REDIS_URL_ENV`] /
    /// [`POSTGRES_URL_ENV`] (read through `env`), with its URL read from
    /// its file if so given.
    pub fn backend(&self, env: impl Fn(&str) -> Option<OsString>) -> Result<Backend, BackendError> {
        // clap allows one flag of the group; the variables count as flags.
        let flag = if self.redis.is_some() {
            Some("--redis")
        } else if self.redis_url_file.is_some() {
            Some("--redis-url-file")
        } else if !self.redis_cluster.is_empty() {
            Some("--redis-cluster")
        } else if self.postgres.is_some() {
            Some("--postgres")
        } else if self.postgres_url_file.is_some() {
            Some("--postgres-url-file")
        } else if self.sqlite.is_some() {
            Some("--sqlite")
        } else {
            None
        };
        let redis_env = env(REDIS_URL_ENV);
        let postgres_env = env(POSTGRES_URL_ENV);
        let mut chosen = flag;
        for (name, value) in [
            (REDIS_URL_ENV, &redis_env),
            (POSTGRES_URL_ENV, &postgres_env),
        ] {
            if value.is_some() {
                if let Some(other) = chosen {
                    return Err(BackendError::Conflict(other, name));
                }
                chosen = Some(name);
            }
        }
        if let Some(url) = &self.redis {
            return Ok(Backend::Redis(url.clone()));
        }
        if let Some(path) = &self.redis_url_file {
            return Ok(Backend::Redis(url_from_file(path)?));
        }
        if !self.redis_cluster.is_empty() {
            return Ok(Backend::RedisCluster(self.redis_cluster.clone()));
        }
        if let Some(url) = &self.postgres {
            return Ok(Backend::Postgres(url.clone()));
        }
        if let Some(path) = &self.postgres_url_file {
            return Ok(Backend::Postgres(url_from_file(path)?));
        }
        if let Some(path) = &self.sqlite {
            return Ok(Backend::Sqlite {
                path: path.clone(),
                synchronous: self.sqlite_synchronous,
            });
        }
        if let Some(value) = redis_env {
            return Ok(Backend::Redis(url_from_env(REDIS_URL_ENV, value)?));
        }
        if let Some(value) = postgres_env {
            return Ok(Backend::Postgres(url_from_env(POSTGRES_URL_ENV, value)?));
        }
        Ok(Backend::Memory)
    }
}

fn url_from_file(path: &Path) -> Result<String, BackendError> {
    let bytes = std::fs::read(path).map_err(|source| BackendError::UrlFile {
        path: path.to_owned(),
        source,
    })?;
    match String::from_utf8(bytes) {
        Ok(text) if !text.trim().is_empty() => Ok(text.trim().to_owned()),
        _ => Err(BackendError::NoUrl(path.display().to_string())),
    }
}

fn url_from_env(name: &str, value: OsString) -> Result<String, BackendError> {
    match value.into_string() {
        Ok(text) if !text.trim().is_empty() => Ok(text.trim().to_owned()),
        _ => Err(BackendError::NoUrl(name.to_owned())),
    }
}

/// A store and what its configuration check found, or why it failed.
type Opened = (Arc<dyn SecretStore>, Result<Vec<String>, String>);

/// An open store, for the server.
#[non_exhaustive]
pub struct OpenStore {
    /// The store.
    pub store: Arc<dyn SecretStore>,
    /// What it is, for logs (never a URL).
    pub name: &'static str,
    /// What its configuration check found (logged at WARN already).
    pub warnings: Vec<String>,
}

impl fmt::Debug for OpenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenStore")
            .field("name", &self.name)
            .field("warnings", &self.warnings)
            .finish_non_exhaustive()
    }
}

/// Opens `backend`: connects (a PostgreSQL schema is created or migrated),
/// starts its purger, and runs its configuration check. `memory` has the
/// memory store's limits, used when `backend` is [`Backend::Memory`]. `max_ttl` is the
/// longest lifetime the policy allows: the store accepts it and keeps spent
/// ids that long. With `strict`, a check that warns or fails is an error;
/// without it, each warning is logged at WARN.
pub async fn open_store(
    backend: &Backend,
    memory: oneshot_memory::MemoryStoreBuilder,
    max_ttl: Duration,
    strict: bool,
) -> Result<OpenStore, BackendError> {
    let what = backend.name();
    let (store, checked): Opened = match backend {
        Backend::Memory => {
            let store = memory.max_ttl(max_ttl).build();
            store
                .spawn_purger(MEMORY_PURGE_INTERVAL)
                .map_err(|e| open_error(what, &e))?;
            (Arc::new(store), Ok(Vec::new()))
        }
        Backend::Redis(url) => {
            open_redis(oneshot_redis::RedisConfig::new(url), what, max_ttl).await?
        }
        Backend::RedisCluster(nodes) => {
            let config = oneshot_redis::RedisConfig::cluster(nodes.iter().cloned());
            open_redis(config, what, max_ttl).await?
        }
        Backend::Postgres(url) => {
            let config = oneshot_postgres::PgConfig::new(url)
                .map_err(|_| BackendError::InvalidUrl("PostgreSQL"))?;
            let store = config
                .max_ttl(max_ttl)
                .connect()
                .await
                .map_err(|e| open_error(what, &e))?;
            let checked = store.check_server().await;
            (Arc::new(store), shown(checked))
        }
        Backend::Sqlite { path, synchronous } => {
            let synchronous = match synchronous {
                SqliteSync::Full => oneshot_sqlite::Synchronous::Full,
                SqliteSync::Normal => oneshot_sqlite::Synchronous::Normal,
            };
            let store = oneshot_sqlite::SqliteConfig::file(path)
                .synchronous(synchronous)
                .max_ttl(max_ttl)
                .open()
                .await
                .map_err(|e| open_error(what, &e))?;
            let checked = store.check_server().await;
            (Arc::new(store), shown(checked))
        }
    };
    let warnings = match checked {
        Ok(warnings) => warnings,
        Err(reason) if strict => return Err(BackendError::Unchecked { what, reason }),
        Err(reason) => {
            tracing::warn!(store = what, error = %reason, "could not check the store's configuration");
            Vec::new()
        }
    };
    if strict && !warnings.is_empty() {
        return Err(BackendError::Strict { what, warnings });
    }
    for warning in &warnings {
        tracing::warn!(store = what, %warning, "the store's configuration may break oneshot's promises");
    }
    Ok(OpenStore {
        store,
        name: what,
        warnings,
    })
}

async fn open_redis(
    config: oneshot_redis::RedisConfig,
    what: &'static str,
    max_ttl: Duration,
) -> Result<Opened, BackendError> {
    let store = config
        .max_ttl(max_ttl)
        .connect()
        .await
        .map_err(|e| redis_error(what, &e))?;
    let checked = store.check_server().await;
    Ok((Arc::new(store), shown(checked)))
}

/// A check's warnings or failure as text.
fn shown<W: fmt::Display, E: fmt::Display>(
    checked: Result<Vec<W>, E>,
) -> Result<Vec<String>, String> {
    checked
        .map(|ws| ws.iter().map(ToString::to_string).collect())
        .map_err(|e| e.to_string())
}

/// An error with its sources (the PostgreSQL and SQLite crates' messages
/// never include the connection string).
fn open_error(what: &'static str, e: &dyn std::error::Error) -> BackendError {
    let mut reason = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !reason.contains(&text) {
            reason.push_str(": ");
            reason.push_str(&text);
        }
        source = s.source();
    }
    BackendError::Open { what, reason }
}

/// `oneshot-redis` names the target (password redacted, but still the URL)
/// in its messages: only the kind of failure and the driver's reason.
fn redis_error(what: &'static str, e: &oneshot_redis::ConnectError) -> BackendError {
    use oneshot_redis::ConnectError as E;
    match e {
        E::InvalidUrl { .. } => BackendError::InvalidUrl("Redis"),
        E::Connect { source, .. } => BackendError::Open {
            what,
            reason: format!("no server answered: {source}"),
        },
        other => open_error(what, other),
    }
}

//! Errors of [`RedisConfig::connect`](crate::RedisConfig::connect).

/// Why [`RedisConfig::connect`](crate::RedisConfig::connect) (or
/// [`RedisStore::connect`](crate::RedisStore::connect)) failed.
///
/// Connecting happens once, at start-up; after that the store reconnects by
/// itself and reports trouble per call as a
/// [`StoreError`](oneshot_core::StoreError).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The URL (or a cluster seed URL) could not be parsed, or names a
    /// scheme this build does not support (`rediss://` needs the `tls` feature).
    /// The message never contains the URL's password.
    #[error("invalid Redis URL {url}")]
    InvalidUrl {
        /// The URL with any password replaced by `***`.
        url: String,
        /// What the `redis` crate said.
        #[source]
        source: redis::RedisError,
    },
    /// The `redis` client rejected the configuration (e.g. root certificates
    /// that are not valid PEM).
    #[error("invalid Redis client configuration")]
    InvalidConfig(#[source] redis::RedisError),
    /// A cluster configuration without any seed node.
    #[error("a Redis Cluster needs at least one seed node")]
    NoSeedNodes,
    /// The key prefix contains `{` or `}`: it would change the keys' hash
    /// tag, which must be the id alone (see
    /// [`RedisConfig::key_prefix`](crate::RedisConfig::key_prefix)).
    #[error("the key prefix {prefix:?} must not contain '{{' or '}}'")]
    InvalidKeyPrefix {
        /// The prefix as configured.
        prefix: String,
    },
    /// No server answered (refused, unreachable, timed out, or the handshake
    /// or authentication failed).
    #[error("could not connect to Redis at {target}")]
    Connect {
        /// The server or seed list, passwords redacted.
        target: String,
        /// The last error seen.
        #[source]
        source: redis::RedisError,
    },
    /// [`TakeMode::Auto`](crate::TakeMode::Auto) needs the server version,
    /// and `INFO server` did not give it (e.g. denied by an ACL): choose
    /// `TakeMode::Command` or `TakeMode::Script` explicitly.
    #[error("could not read the Redis server version from INFO")]
    Version(#[source] redis::RedisError),
}

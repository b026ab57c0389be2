//! [`RedisConfig`]: where the server is and how long to wait for it.

use std::fmt;
use std::time::Duration;

/// The key prefix used unless [`RedisConfig::key_prefix`] sets another.
pub const DEFAULT_KEY_PREFIX: &str = "oneshot:";
/// Default for [`RedisConfig::connect_timeout`].
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// Default for [`RedisConfig::response_timeout`].
pub const DEFAULT_RESPONSE_TIMEOUT: Duration = Duration::from_secs(1);
/// Default for [`RedisConfig::max_ttl`]: 72 hours.
pub const DEFAULT_MAX_TTL: Duration = Duration::from_secs(72 * 3600);

/// How `take` reads a plain secret and leaves its spent marker, in one step.
///
/// Guarded and receipted secrets are always taken by script; the mode
/// decides how a plain secret (and the first step of a take without a
/// proof) is taken. See the [crate docs](crate) for the commands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TakeMode {
    /// [`Command`](Self::Command) if every server reports Redis 6.2 or
    /// newer, else [`Script`](Self::Script).
    #[default]
    Auto,
    /// The native command `SET <key> "" XX GET PX <max_ttl>` (Redis ≥ 6.2):
    /// returns the envelope and leaves the spent marker `""` in one step. An
    /// older server answers with an error.
    Command,
    /// A one-key Lua script doing the same (`EVALSHA`, falling back to `EVAL`
    /// on `NOSCRIPT`), for servers older than 6.2.
    Script,
}

/// Where the store's servers are.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// One server (`redis://` / `rediss://` / `unix://`).
    Single(String),
    /// Seed nodes of a Redis Cluster.
    Cluster(Vec<String>),
}

/// Configuration of a [`RedisStore`](crate::RedisStore), with a builder;
/// [`RedisConfig::connect`] makes the store.
///
/// ```no_run
/// # async fn demo() -> Result<(), oneshot_redis::ConnectError> {
/// use std::time::Duration;
/// use oneshot_redis::{RedisConfig, TakeMode};
///
/// let store = RedisConfig::new("redis://127.0.0.1:6379/")
///     .key_prefix("myapp:secrets:")
///     .connect_timeout(Duration::from_millis(500))
///     .response_timeout(Duration::from_secs(1))
///     .take_mode(TakeMode::Auto)
///     .connect()
///     .await?;
/// # drop(store);
/// # Ok(())
/// # }
/// ```
///
/// `Debug` shows URLs with any password replaced by `***`.
#[derive(Clone)]
pub struct RedisConfig {
    pub(crate) target: Target,
    pub(crate) key_prefix: String,
    pub(crate) connect_timeout: Duration,
    pub(crate) response_timeout: Duration,
    pub(crate) take_mode: TakeMode,
    pub(crate) max_ttl: Duration,
    /// PEM root certificate(s) to trust for `rediss://` instead of the
    /// system's roots.
    #[cfg(feature = "tls")]
    pub(crate) tls_root_certificates: Option<Vec<u8>>,
}

impl RedisConfig {
    /// A single server, e.g. `redis://:password@host:6379/0`, `rediss://host/`
    /// (needs the `tls` feature) or `unix:///run/redis.sock`.
    pub fn new(url: impl Into<String>) -> Self {
        Self::with_target(Target::Single(url.into()))
    }

    /// A Redis Cluster, given one or more seed nodes as URLs; the rest of the
    /// topology is discovered with `CLUSTER SLOTS`.
    pub fn cluster(nodes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self::with_target(Target::Cluster(nodes.into_iter().map(Into::into).collect()))
    }

    fn with_target(target: Target) -> Self {
        Self {
            target,
            key_prefix: DEFAULT_KEY_PREFIX.to_owned(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            response_timeout: DEFAULT_RESPONSE_TIMEOUT,
            take_mode: TakeMode::Auto,
            max_ttl: DEFAULT_MAX_TTL,
            #[cfg(feature = "tls")]
            tls_root_certificates: None,
        }
    }

    /// The prefix of every key: a secret is stored under
    /// `<prefix>{<32 hex id>}` (and a guarded or receipted one's envelope
    /// under that key plus `:e`). Default `oneshot:`.
    ///
    /// The prefix must not contain `{` or `}`, so that the hash tag of every
    /// key is the id alone (a secret's keys share one Cluster slot, and
    /// secrets spread over all slots); [`connect`](Self::connect) refuses
    /// one that does with [`ConnectError::InvalidKeyPrefix`](crate::ConnectError::InvalidKeyPrefix).
    #[must_use]
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = prefix.into();
        self
    }

    /// How long one connection attempt may take (TCP, TLS and handshake).
    /// Default 1 s. Values under 1 ms are raised to 1 ms.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// How long to wait for the reply to a command once sent. Default 1 s.
    /// A command that times out may still run on the server, so a timed-out
    /// `take` is [`Indeterminate`](oneshot_core::StoreError::Indeterminate).
    /// Values under 1 ms are raised to 1 ms.
    #[must_use]
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// How `take` reads a plain secret and spends its id; see [`TakeMode`].
    /// Default [`TakeMode::Auto`].
    #[must_use]
    pub fn take_mode(mut self, mode: TakeMode) -> Self {
        self.take_mode = mode;
        self
    }

    /// The longest lifetime a secret may have; a longer TTL is
    /// [`InvalidTtl`](oneshot_core::StoreError::InvalidTtl). It is also how
    /// long an id stays spent after a take, a burn or the last wrong
    /// passphrase: the spent marker outlives every secret that could have
    /// been made under that id, so whoever took a secret cannot put another
    /// under the same link. Each spent marker costs memory for that long
    /// (the crate docs give the numbers). Default 72 h
    /// ([`DEFAULT_MAX_TTL`]); raised to 1 ms, lowered to 100 years.
    #[must_use]
    pub fn max_ttl(mut self, max: Duration) -> Self {
        self.max_ttl = max.clamp(Duration::from_millis(1), oneshot_core::store::LONGEST_KEEP);
        self
    }

    /// Trusts these PEM-encoded root certificates for `rediss://` servers
    /// (e.g. a private CA) instead of the system's trust store. Needs the
    /// `tls` feature.
    #[cfg(feature = "tls")]
    #[must_use]
    pub fn tls_root_certificates(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.tls_root_certificates = Some(pem.into());
        self
    }

    /// The longest a single store call can take: one connection attempt plus
    /// one reply, plus a little scheduling slack.
    pub(crate) fn call_budget(&self) -> Duration {
        self.connect_timeout + self.response_timeout + Duration::from_millis(50)
    }
}

impl fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("RedisConfig");
        match &self.target {
            Target::Single(url) => s.field("url", &redact_url(url)),
            Target::Cluster(nodes) => s.field(
                "cluster",
                &nodes.iter().map(|n| redact_url(n)).collect::<Vec<_>>(),
            ),
        };
        s.field("key_prefix", &self.key_prefix)
            .field("connect_timeout", &self.connect_timeout)
            .field("response_timeout", &self.response_timeout)
            .field("take_mode", &self.take_mode)
            .field("max_ttl", &self.max_ttl)
            .finish()
    }
}

/// `scheme://user:secret@host/...` → `scheme://user:***@host/...`; anything
/// between `://` and the last `@` of the authority is treated as credentials.
pub(crate) fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let rest_start = scheme_end + 3;
    let rest = url.get(rest_start..).unwrap_or_default();
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = rest.get(..authority_end).unwrap_or_default();
    let Some(at) = authority.rfind('@') else {
        return url.to_owned();
    };
    let userinfo = authority.get(..at).unwrap_or_default();
    let user = userinfo.split(':').next().unwrap_or_default();
    let redacted = if userinfo.contains(':') {
        format!("{user}:***")
    } else {
        // `redis://secret@host` is a password-only form for some clients.
        "***".to_owned()
    };
    format!(
        "{}{}{}",
        url.get(..rest_start).unwrap_or_default(),
        redacted,
        rest.get(at..).unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("redis://:hunter2@host:6379/0"),
            "redis://:***@host:6379/0"
        );
        assert_eq!(
            redact_url("rediss://alice:p@ss@host/"),
            "rediss://alice:***@host/"
        );
        assert_eq!(redact_url("redis://hunter2@host"), "redis://***@host");
        assert_eq!(redact_url("redis://host:6379/"), "redis://host:6379/");
        assert_eq!(redact_url("not a url"), "not a url");
        let debug = format!(
            "{:?}",
            RedisConfig::cluster(["redis://:hunter2@a:1", "redis://:hunter2@b:2"])
        );
        assert!(!debug.contains("hunter2"), "{debug}");
    }

    #[test]
    fn defaults_suit_a_web_request() {
        let config = RedisConfig::new("redis://localhost/");
        assert_eq!(config.key_prefix, "oneshot:");
        assert_eq!(config.connect_timeout, Duration::from_secs(1));
        assert_eq!(config.response_timeout, Duration::from_secs(1));
        assert_eq!(config.take_mode, TakeMode::Auto);
        assert_eq!(config.max_ttl, Duration::from_secs(72 * 3600));
        assert_eq!(
            config.clone().max_ttl(Duration::ZERO).max_ttl,
            Duration::from_millis(1)
        );
        assert_eq!(
            config.max_ttl(Duration::MAX).max_ttl,
            oneshot_core::store::LONGEST_KEEP
        );
    }
}

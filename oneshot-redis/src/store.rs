//! [`RedisStore`]: the [`SecretStore`] over one server or a Redis Cluster —
//! key naming, the `SET` and take commands, and what their replies mean.
//! Connections, deadlines and error mapping are the [backend](crate::backend)'s.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use oneshot_core::store::{BurnOutcome, Guards, Receipt, TakeOutcome};
use oneshot_core::{PassphraseProof, ReceiptClaim, SecretId, SecretStore, StoreError};
use redis::{Cmd, Value};

use crate::backend::Backend;
use crate::config::{RedisConfig, TakeMode};
use crate::error::ConnectError;

/// The read-and-delete script for servers without `GETDEL` (Redis < 6.2).
/// Scripts run atomically, so no other command runs between its GET and DEL.
const TAKE_SCRIPT: &str = "local v = redis.call('GET', KEYS[1])\n\
     if v then redis.call('DEL', KEYS[1]) end\n\
     return v";

/// The largest TTL sent to the server, in milliseconds (about 146 million
/// years); Redis rejects `PX` values near `i64::MAX`.
const MAX_TTL_MS: u128 = 1 << 62;

/// A [`SecretStore`] on Redis: `SET key value PX ms NX` to create, `GETDEL`
/// (or a Lua `GET`+`DEL` script) to take. See the [crate docs](crate) for the
/// guarantees and how each failure is reported.
///
/// Cheap to clone: clones share one connection (or one cluster client).
/// `Debug` never shows a password.
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

struct Inner {
    backend: Backend,
    prefix: Box<[u8]>,
    take: Take,
}

#[derive(Clone, Debug)]
enum Take {
    GetDel,
    Script { sha: String },
}

/// The reply did not fit the command (a bug or a proxy in between).
#[derive(Debug, thiserror::Error)]
#[error("unexpected reply to {command}: {kind}")]
struct UnexpectedReply {
    command: &'static str,
    kind: &'static str,
}

// Defined here rather than in `config.rs`, so that the configuration does not
// depend on the store it makes.
impl RedisConfig {
    /// Connects (and, in [`TakeMode::Auto`], asks the server for its version).
    ///
    /// Fails with a [`ConnectError`] if the URL is invalid, no server answers
    /// within the connect timeout, or the configuration asks for something the
    /// server cannot do. Once connected, the store reconnects by itself: it is
    /// never necessary to call this again after a server restart.
    pub async fn connect(self) -> Result<RedisStore, ConnectError> {
        let (backend, take_mode) = Backend::connect(&self).await?;
        let take = match take_mode {
            TakeMode::Script => Take::Script {
                sha: redis::Script::new(TAKE_SCRIPT).get_hash().to_owned(),
            },
            _ => Take::GetDel,
        };
        let target = backend.target();
        tracing::info!(%target, take = ?take, "connected to Redis");
        Ok(RedisStore {
            inner: Arc::new(Inner {
                backend,
                prefix: self.key_prefix.into_bytes().into_boxed_slice(),
                take,
            }),
        })
    }
}

impl RedisStore {
    /// Connects to one server with the default configuration
    /// ([`RedisConfig::new`]`(url).connect()`).
    pub async fn connect(url: &str) -> Result<Self, ConnectError> {
        RedisConfig::new(url).connect().await
    }

    /// Connects to a Redis Cluster through its seed nodes with the default
    /// configuration ([`RedisConfig::cluster`]`(nodes).connect()`).
    pub async fn connect_cluster(
        nodes: impl IntoIterator<Item = impl Into<String>>,
    ) -> Result<Self, ConnectError> {
        RedisConfig::cluster(nodes).connect().await
    }

    /// How `take` reads and deletes on this store: [`TakeMode::GetDel`] or
    /// [`TakeMode::Script`] ([`TakeMode::Auto`] is resolved when connecting).
    pub fn take_mode(&self) -> TakeMode {
        match self.inner.take {
            Take::GetDel => TakeMode::GetDel,
            Take::Script { .. } => TakeMode::Script,
        }
    }

    /// The key a secret with this id is stored under: `<prefix><32 hex chars>`.
    pub fn key_for(&self, id: &SecretId) -> Vec<u8> {
        let mut hex = [0u8; SecretId::HEX_LEN];
        let hex = id.encode_hex(&mut hex);
        let mut key = Vec::with_capacity(self.inner.prefix.len() + hex.len());
        key.extend_from_slice(&self.inner.prefix);
        key.extend_from_slice(hex.as_bytes());
        key
    }

    /// How many times a wedged Redis Cluster connection has been replaced
    /// (see "Failure handling" in the crate docs); always 0 for one server.
    /// Worth exporting as a metric: a non-zero value means the cluster client
    /// stalled and every call failed `Indeterminate` for a few response timeouts.
    pub fn cluster_connection_replacements(&self) -> u64 {
        self.inner.backend.connection_replacements()
    }

    /// The connections under this store, for commands other than the store's
    /// own ([`RedisStore::check_server`]).
    pub(crate) fn backend(&self) -> &Backend {
        &self.inner.backend
    }

    async fn run(&self, cmd: &Cmd) -> Result<Value, StoreError> {
        self.inner.backend.run(cmd).await
    }
}

fn unexpected(command: &'static str, value: &Value) -> StoreError {
    let kind = match value {
        Value::Int(_) => "integer",
        Value::Array(_) => "array",
        Value::Map(_) => "map",
        Value::SimpleString(_) | Value::Okay => "status",
        Value::BulkString(_) | Value::VerbatimString { .. } => "string",
        _ => "other",
    };
    StoreError::backend(UnexpectedReply { command, kind })
}

#[async_trait]
impl SecretStore for RedisStore {
    async fn put_with_ttl(
        &self,
        id: &SecretId,
        envelope: &[u8],
        ttl: Duration,
        guards: &Guards,
    ) -> Result<(), StoreError> {
        if ttl < Duration::from_millis(1) {
            return Err(StoreError::InvalidTtl);
        }
        if !guards.is_none() {
            return Err(StoreError::backend(NotYet));
        }
        // Round a partial millisecond up: a secret never expires before its TTL.
        let ms = ttl.as_nanos().div_ceil(1_000_000);
        if ms > MAX_TTL_MS {
            return Err(StoreError::InvalidTtl);
        }
        let ms = u64::try_from(ms).map_err(|_| StoreError::InvalidTtl)?;
        // `SET key envelope PX ms NX`, sized up front: the typed
        // `Cmd::set_options` grows its buffers one argument at a time (4
        // extra allocations and ~1 KiB copied per put, measured with
        // `oneshot-allocs`).
        let key = self.key_for(id);
        let mut cmd = Cmd::with_capacity(6, key.len() + envelope.len() + 32);
        cmd.arg("SET")
            .arg(&key)
            .arg(envelope)
            .arg("PX")
            .arg(ms)
            .arg("NX");
        match self.run(&cmd).await? {
            Value::Okay => Ok(()),
            Value::SimpleString(s) if s == "OK" => Ok(()),
            // NX: the key exists; nothing was written.
            Value::Nil => Err(StoreError::AlreadyExists),
            other => Err(unexpected("SET", &other)),
        }
    }

    async fn take(
        &self,
        id: &SecretId,
        _proof: Option<&PassphraseProof>,
    ) -> Result<TakeOutcome, StoreError> {
        let key = self.key_for(id);
        let reply = match &self.inner.take {
            Take::GetDel => {
                let mut getdel = Cmd::with_capacity(2, key.len() + 6);
                getdel.arg("GETDEL").arg(&key);
                self.run(&getdel).await?
            }
            Take::Script { sha } => {
                let mut evalsha = redis::cmd("EVALSHA");
                evalsha.arg(sha).arg(1).arg(&key);
                match self.run(&evalsha).await {
                    // NOSCRIPT: the server does not know the script, so nothing
                    // ran; send the script itself (once).
                    Err(StoreError::Backend(source)) if is_noscript(source.as_ref()) => {
                        let mut eval = redis::cmd("EVAL");
                        eval.arg(TAKE_SCRIPT).arg(1).arg(&key);
                        self.run(&eval).await?
                    }
                    other => other?,
                }
            }
        };
        match reply {
            Value::Nil => Ok(TakeOutcome::NotFound),
            Value::BulkString(bytes) => Ok(TakeOutcome::Taken(bytes)),
            other => Err(unexpected("take", &other)),
        }
    }

    async fn receipt(&self, _: &SecretId, _: &ReceiptClaim) -> Result<Option<Receipt>, StoreError> {
        Err(StoreError::backend(NotYet))
    }

    async fn burn(
        &self,
        _: &SecretId,
        _: &ReceiptClaim,
    ) -> Result<Option<BurnOutcome>, StoreError> {
        Err(StoreError::backend(NotYet))
    }
}

/// Transitional, until the v2 scripts land: guards, receipts and spent ids
/// are not implemented on Redis yet.
#[derive(Debug, thiserror::Error)]
#[error("guards and receipts are not implemented on Redis yet")]
struct NotYet;

fn is_noscript(err: &(dyn std::error::Error + Send + Sync + 'static)) -> bool {
    err.downcast_ref::<redis::RedisError>()
        .is_some_and(|e| e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript))
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("target", &self.inner.backend.target())
            .field("key_prefix", &String::from_utf8_lossy(&self.inner.prefix))
            .field("take_mode", &self.take_mode())
            .finish_non_exhaustive()
    }
}

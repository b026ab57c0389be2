//! [`RedisStore`]: the [`SecretStore`] over one server or a Redis Cluster —
//! which command or script each operation is, and what their replies mean.
//! Connections, deadlines and error mapping are the [backend](crate::backend)'s.
//!
//! Inside: [`keys`] (naming), [`lua`] (the scripts and how they are sent),
//! [`reply`] (replies as outcomes), then this file.

mod keys;
mod lua;
mod reply;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use oneshot_core::store::{BurnOutcome, Guards, Receipt, TakeOutcome, check_put};
use oneshot_core::{
    PassphraseProof, PassphraseVerifier, ReceiptClaim, SecretId, SecretStore, StoreError,
};
use redis::{Cmd, Value};
use tokio::time::Instant;

use crate::backend::Backend;
use crate::config::{RedisConfig, TakeMode};
use crate::error::ConnectError;
use keys::Keys;
use lua::{Script, Scripts};
use reply::{TakeReply, unexpected};

/// A [`SecretStore`] on Redis. A plain secret is one string key: `SET … PX
/// … NX` to create, `SET … "" XX GET PX <max_ttl>` (or a one-key script) to
/// take, leaving the spent marker `""`. A guarded or receipted secret is a
/// hash of metadata and an envelope key, created, taken, read and burned by
/// Lua scripts. See the [crate docs](crate) for the guarantees and how each
/// failure is reported.
///
/// Cheap to clone: clones share one connection (or one cluster client).
/// `Debug` never shows a password.
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

struct Inner {
    backend: Backend,
    keys: Keys,
    /// [`TakeMode::Command`] or [`TakeMode::Script`], never `Auto`.
    mode: TakeMode,
    scripts: Scripts,
    max_ttl: Duration,
    /// How long an id stays spent, in ms, as sent: `max_ttl` rounded up.
    spent_ms: String,
}

/// Whole milliseconds, rounded up: a secret never expires before its TTL,
/// and a spent marker never before the longest lifetime.
fn ceil_ms(duration: Duration) -> u128 {
    duration.as_nanos().div_ceil(1_000_000)
}

// Defined here rather than in `config.rs`, so that the configuration does not
// depend on the store it makes.
impl RedisConfig {
    /// Connects (and, in [`TakeMode::Auto`], asks the server for its version).
    ///
    /// Fails with a [`ConnectError`] if the URL or the key prefix is invalid,
    /// no server answers within the connect timeout, or the configuration
    /// asks for something the server cannot do. Once connected, the store
    /// reconnects by itself: it is never necessary to call this again after a
    /// server restart.
    pub async fn connect(self) -> Result<RedisStore, ConnectError> {
        let keys = Keys::new(&self.key_prefix)?;
        let (backend, mode) = Backend::connect(&self).await?;
        let target = backend.target();
        tracing::info!(%target, take = ?mode, "connected to Redis");
        Ok(RedisStore {
            inner: Arc::new(Inner {
                backend,
                keys,
                mode,
                scripts: Scripts::new(),
                max_ttl: self.max_ttl,
                spent_ms: ceil_ms(self.max_ttl).to_string(),
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

    /// How `take` reads a plain secret on this store: [`TakeMode::Command`]
    /// or [`TakeMode::Script`] ([`TakeMode::Auto`] is resolved when connecting).
    pub fn take_mode(&self) -> TakeMode {
        self.inner.mode
    }

    /// The longest lifetime accepted, which is also how long a spent id
    /// stays spent ([`RedisConfig::max_ttl`]).
    pub fn max_ttl(&self) -> Duration {
        self.inner.max_ttl
    }

    /// The key a secret with this id is stored under: `<prefix>{<32 hex
    /// chars>}`, the braces making the id the Cluster hash tag. A guarded or
    /// receipted secret keeps its envelope under this key plus `:e`, in the
    /// same slot.
    pub fn key_for(&self, id: &SecretId) -> Vec<u8> {
        self.inner.keys.secret(id)
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

    fn deadline(&self) -> Instant {
        self.inner.backend.deadline()
    }

    async fn run(&self, cmd: &Cmd, deadline: Instant) -> Result<Value, StoreError> {
        self.inner.backend.run_until(cmd, deadline).await
    }

    /// Runs `script` once: `EVALSHA`, and only if the node answers
    /// `NOSCRIPT` (nothing ran) the script itself with `EVAL`. On a cluster
    /// the command goes to the keys' node, so each node learns the script
    /// the first time it runs it.
    async fn eval(
        &self,
        script: &Script,
        keys: &[&[u8]],
        args: &[&[u8]],
        deadline: Instant,
    ) -> Result<Value, StoreError> {
        match self.run(&script.command(false, keys, args), deadline).await {
            Err(StoreError::Backend(source)) if has_code(source.as_ref(), "NOSCRIPT") => {
                self.run(&script.command(true, keys, args), deadline).await
            }
            other => other,
        }
    }

    /// A plain put: `SET K envelope PX ttl NX`. `NX` fails on anything at
    /// `K` (a live secret, a spent marker, a kept receipt).
    async fn create_plain(
        &self,
        id: &SecretId,
        envelope: &[u8],
        ttl_ms: u128,
    ) -> Result<(), StoreError> {
        // Sized up front: the typed `Cmd::set_options` grows its buffers one
        // argument at a time (4 extra allocations and ~1 KiB copied per put,
        // measured with `oneshot-allocs`).
        let key = self.key_for(id);
        let mut cmd = Cmd::with_capacity(6, key.len() + envelope.len() + 32);
        cmd.arg("SET")
            .arg(&key)
            .arg(envelope)
            .arg("PX")
            .arg(ttl_ms.to_string())
            .arg("NX");
        match self.run(&cmd, self.deadline()).await? {
            Value::Okay => Ok(()),
            Value::SimpleString(s) if s == "OK" => Ok(()),
            // NX: the key exists; nothing was written.
            Value::Nil => Err(StoreError::AlreadyExists),
            other => Err(unexpected("SET", &other)),
        }
    }

    /// A guarded or receipted put: the create script (hash `K`, envelope `E`).
    async fn create_guarded(
        &self,
        id: &SecretId,
        envelope: &[u8],
        ttl_ms: u128,
        guards: &Guards,
    ) -> Result<(), StoreError> {
        // `check_put` bounded the retention.
        let retention_ms = guards.receipt().map_or(0, |r| ceil_ms(r.retention));
        let (ttl, retention) = (ttl_ms.to_string(), retention_ms.to_string());
        let passphrase = guards.passphrase();
        let attempts = passphrase.map(|g| g.attempts.get().to_string());
        let (secret, envelope_key) = self.inner.keys.both(id);
        let args: [&[u8]; 6] = [
            envelope,
            ttl.as_bytes(),
            retention.as_bytes(),
            passphrase.map_or(&[], |g| g.verifier.as_bytes()),
            attempts.as_deref().map_or(&[], str::as_bytes),
            guards.receipt().map_or(&[], |r| r.verifier.as_bytes()),
        ];
        let keys: [&[u8]; 2] = [&secret, &envelope_key];
        let reply = self
            .eval(&self.inner.scripts.create, &keys, &args, self.deadline())
            .await?;
        match reply {
            Value::Int(1) => Ok(()),
            Value::Int(0) => Err(StoreError::AlreadyExists),
            other => Err(unexpected("create script", &other)),
        }
    }

    /// The one-key plain take by script; a hash goes on to [`Self::take_guarded`].
    async fn take_plain_script(
        &self,
        id: &SecretId,
        deadline: Instant,
    ) -> Result<TakeOutcome, StoreError> {
        let key = self.key_for(id);
        let args: [&[u8]; 2] = [b"", self.inner.spent_ms.as_bytes()];
        let reply = self
            .eval(&self.inner.scripts.take_plain, &[&key], &args, deadline)
            .await?;
        match reply::take_script(reply)? {
            TakeReply::Done(outcome) => Ok(outcome),
            // It changed nothing: the guarded script decides.
            TakeReply::Guarded => self.take_guarded(id, None, deadline).await,
        }
    }

    /// The take script, over both keys, with the presented verifier if any.
    async fn take_guarded(
        &self,
        id: &SecretId,
        verifier: Option<&PassphraseVerifier>,
        deadline: Instant,
    ) -> Result<TakeOutcome, StoreError> {
        let (secret, envelope_key) = self.inner.keys.both(id);
        let args: [&[u8]; 2] = [
            verifier.map_or(&[], |v| v.as_bytes()),
            self.inner.spent_ms.as_bytes(),
        ];
        let keys: [&[u8]; 2] = [&secret, &envelope_key];
        let reply = self
            .eval(&self.inner.scripts.take, &keys, &args, deadline)
            .await?;
        match reply::take_script(reply)? {
            TakeReply::Done(outcome) => Ok(outcome),
            TakeReply::Guarded => Err(unexpected("take script", &Value::Int(lua::code::GUARDED))),
        }
    }
}

/// Whether `err` is a server error reply with this code (`NOSCRIPT`,
/// `WRONGTYPE`): replies the server sends instead of running the command.
fn has_code(err: &(dyn std::error::Error + Send + Sync + 'static), code: &str) -> bool {
    err.downcast_ref::<redis::RedisError>()
        .is_some_and(|e| e.code() == Some(code))
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
        check_put(envelope, ttl, guards, self.inner.max_ttl)?;
        let ttl_ms = ceil_ms(ttl);
        if guards.is_none() {
            self.create_plain(id, envelope, ttl_ms).await
        } else {
            self.create_guarded(id, envelope, ttl_ms, guards).await
        }
    }

    async fn take(
        &self,
        id: &SecretId,
        proof: Option<&PassphraseProof>,
    ) -> Result<TakeOutcome, StoreError> {
        // One budget for every step of this take.
        let deadline = self.deadline();
        if let Some(proof) = proof {
            // A proof is sent for secrets made with a passphrase: straight
            // to the script (which takes a plain secret too, ignoring it).
            return self
                .take_guarded(id, Some(&proof.verifier()), deadline)
                .await;
        }
        if self.inner.mode == TakeMode::Script {
            return self.take_plain_script(id, deadline).await;
        }
        let key = self.key_for(id);
        let spent = self.inner.spent_ms.as_bytes();
        let mut cmd = Cmd::with_capacity(7, key.len() + spent.len() + 16);
        cmd.arg("SET")
            .arg(&key)
            .arg("")
            .arg("XX")
            .arg("GET")
            .arg("PX")
            .arg(spent);
        match self.run(&cmd, deadline).await {
            Ok(reply) => reply::take_command(reply),
            // `K` is a hash: a guarded or receipted secret (or one spent).
            // `SET … GET` checks the type before writing, so nothing ran.
            Err(StoreError::Backend(source)) if has_code(source.as_ref(), "WRONGTYPE") => {
                self.take_guarded(id, None, deadline).await
            }
            // A full server refuses every `SET` before running it, though a
            // take would free memory; the script's first write is a `DEL`,
            // which it does not refuse.
            Err(StoreError::CapacityExceeded) => self.take_plain_script(id, deadline).await,
            Err(other) => Err(other),
        }
    }

    async fn receipt(
        &self,
        id: &SecretId,
        claim: &ReceiptClaim,
    ) -> Result<Option<Receipt>, StoreError> {
        let key = self.key_for(id);
        let verifier = claim.verifier();
        let reply = self
            .eval(
                &self.inner.scripts.receipt,
                &[&key],
                &[verifier.as_bytes()],
                self.deadline(),
            )
            .await?;
        reply::receipt(reply)
    }

    async fn burn(
        &self,
        id: &SecretId,
        claim: &ReceiptClaim,
    ) -> Result<Option<BurnOutcome>, StoreError> {
        let (secret, envelope_key) = self.inner.keys.both(id);
        let verifier = claim.verifier();
        let args: [&[u8]; 2] = [verifier.as_bytes(), self.inner.spent_ms.as_bytes()];
        let keys: [&[u8]; 2] = [&secret, &envelope_key];
        let reply = self
            .eval(&self.inner.scripts.burn, &keys, &args, self.deadline())
            .await?;
        reply::burn(reply)
    }
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("target", &self.inner.backend.target())
            .field(
                "key_prefix",
                &String::from_utf8_lossy(self.inner.keys.prefix()),
            )
            .field("take_mode", &self.take_mode())
            .field("max_ttl", &self.inner.max_ttl)
            .finish_non_exhaustive()
    }
}

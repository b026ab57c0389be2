//! One server: a shared multiplexed connection that is replaced when it dies.
//!
//! The `redis` crate's `ConnectionManager` does the same job, but it cannot
//! tell its caller whether a failure happened while connecting (the command
//! never left) or after the command was written: a connect timeout and a
//! response timeout are the same `TimedOut` error. This small wrapper keeps
//! the two apart, which is what lets the store answer `Unavailable` (safe to
//! retry) instead of `Indeterminate` whenever the server is simply down. It
//! never re-sends a command.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, Cmd, PushKind, RedisError, Value};
use tokio::sync::OnceCell;
use tokio::time::Instant;

use crate::classify::Stage;

/// After a failed connection attempt, calls within this window fail at once
/// (as `Unavailable`) instead of each trying again; the first call after it
/// tries again. Keeps a dead server from being hammered by every caller.
const RECONNECT_PAUSE: Duration = Duration::from_millis(100);

/// A connection whose calls have only timed out for this many response
/// timeouts is given up (see [`Slot::last_reply`]).
const STALE_AFTER_TIMEOUTS: u32 = 3;

/// One connection attempt's outcome, shared by all callers that waited on it.
#[derive(Debug)]
struct Slot {
    cell: OnceCell<Result<MultiplexedConnection, (RedisError, Instant)>>,
    /// Set by the connection's driver task (RESP3 disconnect push) when the
    /// socket closes, so the next call reconnects instead of writing into a
    /// dead connection.
    dead: Arc<AtomicBool>,
    /// When this connection last delivered a reply (or was opened), in ms
    /// since `born`. A connection that only times out for long (a peer gone
    /// without a reset, a half-open socket) is replaced, so that callers get
    /// `Unavailable` from failing reconnects rather than `Indeterminate`
    /// forever.
    last_reply_ms: AtomicU64,
    born: Instant,
}

impl Slot {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            cell: OnceCell::new(),
            dead: Arc::new(AtomicBool::new(false)),
            last_reply_ms: AtomicU64::new(0),
            born: Instant::now(),
        })
    }

    fn touch(&self) {
        let ms = u64::try_from(self.born.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_reply_ms.fetch_max(ms, Ordering::Relaxed);
    }

    /// How long since the last reply (or since the connection was opened).
    fn silent_for(&self) -> Duration {
        let last = Duration::from_millis(self.last_reply_ms.load(Ordering::Relaxed));
        self.born.elapsed().saturating_sub(last)
    }
}

/// A self-healing connection to one server.
#[derive(Debug)]
pub(crate) struct SingleNode {
    client: Client,
    config: AsyncConnectionConfig,
    resp3: bool,
    /// Retire a connection that has been silent this long while calls time out.
    stale_after: Duration,
    current: Mutex<Arc<Slot>>,
}

impl SingleNode {
    /// `resp3`: whether the client speaks RESP3, which gives a disconnect
    /// notification; the connect timeout and response timeout go in `config`.
    pub(crate) fn new(
        client: Client,
        connect_timeout: Duration,
        response_timeout: Duration,
        resp3: bool,
    ) -> Self {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(connect_timeout))
            .set_response_timeout(Some(response_timeout));
        Self {
            client,
            config,
            resp3,
            stale_after: response_timeout * STALE_AFTER_TIMEOUTS,
            current: Mutex::new(Slot::new()),
        }
    }

    /// Sends `cmd` once. `stage` says how far it got, also when the caller
    /// gives up on this future part-way.
    pub(crate) async fn query(&self, cmd: &Cmd, stage: &mut Stage) -> Result<Value, RedisError> {
        *stage = Stage::Connecting;
        let (slot, mut conn) = self.connection().await?;
        *stage = Stage::Sent;
        match cmd.query_async::<Value>(&mut conn).await {
            Ok(value) => {
                slot.touch();
                Ok(value)
            }
            Err(err) => {
                if err.is_unrecoverable_error() {
                    // Broken socket or a desynchronised stream: the next call
                    // starts a fresh connection.
                    self.retire(&slot);
                } else if err.is_timeout() && slot.silent_for() >= self.stale_after {
                    // A timeout alone keeps the connection (replies stay
                    // matched to requests in order, and a slow server may
                    // catch up); one that has answered nothing for several
                    // timeouts is given up.
                    tracing::warn!(
                        silent_for = ?slot.silent_for(),
                        "Redis connection unresponsive; reconnecting"
                    );
                    self.retire(&slot);
                } else if err.kind() != redis::ErrorKind::Io {
                    // A server reply (an error reply is still a reply).
                    slot.touch();
                }
                Err(err)
            }
        }
    }

    /// The live connection, connecting first if needed. All callers that
    /// arrive while a connection is being made wait for that one attempt.
    async fn connection(&self) -> Result<(Arc<Slot>, MultiplexedConnection), RedisError> {
        for attempt in 0..2 {
            let slot = self.current_slot();
            if slot.dead.load(Ordering::Acquire) {
                self.retire(&slot);
                continue;
            }
            let outcome = slot.cell.get_or_init(|| self.open(&slot)).await;
            match outcome {
                Ok(conn) => return Ok((slot.clone(), conn.clone())),
                Err((err, at)) => {
                    if attempt == 1 || at.elapsed() < RECONNECT_PAUSE {
                        // Fresh failure (ours or one we waited for): report
                        // it, and leave the slot so that callers in the next
                        // moments fail fast instead of piling on.
                        return Err(err.clone());
                    }
                    // The failure is old news: try once more now.
                    self.retire(&slot);
                }
            }
        }
        Err(RedisError::from((
            redis::ErrorKind::Io,
            "the connection closed while connecting",
        )))
    }

    async fn open(&self, slot: &Slot) -> Result<MultiplexedConnection, (RedisError, Instant)> {
        let mut config = self.config.clone();
        if self.resp3 {
            let dead = slot.dead.clone();
            config = config.set_push_sender(move |info: redis::PushInfo| {
                if info.kind == PushKind::Disconnection {
                    dead.store(true, Ordering::Release);
                }
                Ok::<(), std::convert::Infallible>(())
            });
        }
        match self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await
        {
            Ok(conn) => {
                tracing::debug!("connected to Redis");
                slot.touch();
                Ok(conn)
            }
            Err(err) => {
                tracing::debug!(error = %err, "connecting to Redis failed");
                Err((err, Instant::now()))
            }
        }
    }

    fn current_slot(&self) -> Arc<Slot> {
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Replaces `slot` with a fresh one, unless another caller already did.
    fn retire(&self, slot: &Arc<Slot>) {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if Arc::ptr_eq(&current, slot) {
            *current = Slot::new();
        }
    }
}

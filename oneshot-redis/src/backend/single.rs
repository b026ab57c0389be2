//! One server: a shared multiplexed connection that is replaced when it dies.
//!
//! The `redis` crate's `ConnectionManager` does the same job, but it cannot
//! tell its caller whether a failure happened while connecting (the command
//! never left) or after the command was written: a connect timeout and a
//! response timeout are the same `TimedOut` error. This small wrapper keeps
//! the two apart, which is what lets the store answer `Unavailable` (safe to
//! retry) instead of `Indeterminate` whenever the server is simply down. It
//! never re-sends a command.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, Cmd, PushKind, RedisError, Value};
use tokio::sync::OnceCell;
use tokio::time::Instant;

use super::classify::{Failure, Stage};
use super::health::{Health, Outcome};

/// After a failed connection attempt, calls within this window fail at once
/// (as `Unavailable`) instead of each trying again; the first call after it
/// tries again. Keeps a dead server from being hammered by every caller.
const RECONNECT_PAUSE: Duration = Duration::from_millis(100);

/// One connection attempt's outcome, shared by all callers that waited on it.
#[derive(Debug)]
struct Slot {
    cell: OnceCell<Result<MultiplexedConnection, (RedisError, Instant)>>,
    /// Set by the connection's driver task (RESP3 disconnect push) when the
    /// socket closes, so the next call reconnects instead of writing into a
    /// dead connection.
    dead: Arc<AtomicBool>,
    /// This connection's silence clock: one that only times out for long is
    /// replaced, so that callers get `Unavailable` from failing reconnects
    /// rather than `Indeterminate` forever.
    health: Health,
}

impl Slot {
    fn new(response_timeout: Duration) -> Arc<Self> {
        Arc::new(Self {
            cell: OnceCell::new(),
            dead: Arc::new(AtomicBool::new(false)),
            health: Health::new(response_timeout),
        })
    }
}

/// A self-healing connection to one server.
#[derive(Debug)]
pub(crate) struct SingleNode {
    client: Client,
    config: AsyncConnectionConfig,
    resp3: bool,
    /// For each new connection's [`Health`].
    response_timeout: Duration,
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
            response_timeout,
            current: Mutex::new(Slot::new(response_timeout)),
        }
    }

    /// Sends `cmd` once, giving up at `deadline`; a failure says how far the
    /// command got.
    pub(crate) async fn query(&self, cmd: &Cmd, deadline: Instant) -> Result<Value, Failure> {
        let mut stage = Stage::Connecting;
        match tokio::time::timeout_at(deadline, self.send(cmd, &mut stage)).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => Err(Failure::Error(err, stage)),
            // Not a verdict on the connection: the response timeout, which
            // `send` reports to the health clock, is what measures it.
            Err(_) => Err(Failure::Deadline(stage)),
        }
    }

    /// Sends `cmd` once, without a deadline of its own. `stage` says how far
    /// it got, also when the caller gives up on this future part-way.
    pub(crate) async fn send(&self, cmd: &Cmd, stage: &mut Stage) -> Result<Value, RedisError> {
        *stage = Stage::Connecting;
        let (slot, mut conn) = self.connection().await?;
        *stage = Stage::Sent;
        match cmd.query_async::<Value>(&mut conn).await {
            Ok(value) => {
                slot.health.replied();
                Ok(value)
            }
            Err(err) => {
                if err.is_unrecoverable_error() {
                    // Broken socket or a desynchronised stream: the next call
                    // starts a fresh connection.
                    self.retire(&slot);
                } else if slot.health.record(outcome_of(&err)) {
                    tracing::warn!(
                        silent_for = ?slot.health.silent_for(),
                        "Redis connection unresponsive; reconnecting"
                    );
                    self.retire(&slot);
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
                slot.health.replied();
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
            *current = Slot::new(self.response_timeout);
        }
    }
}

/// What a failed call on a sent command says about the connection: any
/// error that is not an I/O error came from a reply (an error reply is still
/// a reply).
fn outcome_of(err: &RedisError) -> Outcome {
    if err.is_timeout() {
        Outcome::TimedOut
    } else if err.kind() != redis::ErrorKind::Io {
        Outcome::Reply
    } else {
        Outcome::NoVerdict
    }
}

//! The store's connections: a fixed number of slots, each holding at most
//! one live connection that any number of calls pipeline on.
//!
//! - A slot connects when a call finds it empty or its connection dead, and
//!   only one call connects a slot at a time; the others wait for that
//!   attempt. After a failed attempt, calls within [`FAILED_CONNECT_HOLD`]
//!   fail at once: a server that refuses is not asked again by every caller.
//! - A connection is dead when its driver task has ended (the socket closed:
//!   `Client::is_closed`, noticed as soon as the server's FIN or RST
//!   arrives, without a round trip), or when it has answered nothing for
//!   [`SILENT_TIMEOUTS`] response timeouts while calls timed out on it (a
//!   frozen server or a black-holed network): its task is then aborted,
//!   which closes the socket.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_postgres::types::Type;
use tokio_postgres::{Client, NoTls, Statement};

use crate::error::Shown;
use crate::statements;

/// After a failed connect, calls on that slot fail at once for this long.
pub(crate) const FAILED_CONNECT_HOLD: Duration = Duration::from_millis(100);
/// A connection silent for this many response timeouts is given up.
pub(crate) const SILENT_TIMEOUTS: u32 = 3;

/// The statements, prepared once per connection.
pub(crate) struct Statements {
    pub(crate) put: Statement,
    pub(crate) take: Statement,
    pub(crate) receipt: Statement,
    pub(crate) burn: Statement,
    pub(crate) purge_rows: Statement,
    pub(crate) purge_envelopes: Statement,
}

impl Statements {
    async fn prepare(client: &Client) -> Result<Self, tokio_postgres::Error> {
        const BYTEA: Type = Type::BYTEA;
        const INT4: Type = Type::INT4;
        const INT8: Type = Type::INT8;
        // Sent together: one round trip for all six, not six.
        let (put, take, receipt, burn, purge_rows, purge_envelopes) = tokio::try_join!(
            client.prepare_typed(
                statements::PUT,
                &[BYTEA, BYTEA, INT8, INT8, BYTEA, INT4, BYTEA]
            ),
            client.prepare_typed(statements::TAKE, &[BYTEA, BYTEA, INT8]),
            client.prepare_typed(statements::RECEIPT, &[BYTEA, BYTEA]),
            client.prepare_typed(statements::BURN, &[BYTEA, BYTEA, INT8]),
            client.prepare_typed(statements::PURGE_ROWS, &[INT4]),
            client.prepare_typed(statements::PURGE_ENVELOPES, &[INT4]),
        )?;
        Ok(Self {
            put,
            take,
            receipt,
            burn,
            purge_rows,
            purge_envelopes,
        })
    }
}

/// One connection and what the store tracks about it.
pub(crate) struct Conn {
    pub(crate) client: Client,
    pub(crate) statements: Statements,
    task: JoinHandle<()>,
    opened: Instant,
    /// Milliseconds after `opened` of the last reply of any kind.
    last_reply_ms: AtomicU64,
    dead: AtomicBool,
}

impl Conn {
    fn usable(&self) -> bool {
        !self.dead.load(Ordering::Acquire) && !self.client.is_closed()
    }

    /// The server answered (a result or an error: either way it is alive).
    pub(crate) fn note_reply(&self) {
        let ms = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_reply_ms.fetch_max(ms, Ordering::AcqRel);
    }

    /// A call timed out: give the connection up if it has been silent for
    /// [`SILENT_TIMEOUTS`] response timeouts.
    pub(crate) fn note_timeout(&self, response_timeout: Duration) {
        let last = Duration::from_millis(self.last_reply_ms.load(Ordering::Acquire));
        let silent = self.opened.elapsed().saturating_sub(last);
        if silent >= response_timeout * SILENT_TIMEOUTS && !self.dead.swap(true, Ordering::AcqRel) {
            tracing::warn!(
                silent_ms = u64::try_from(silent.as_millis()).unwrap_or(u64::MAX),
                "PostgreSQL connection answered nothing; closing it"
            );
            self.task.abort();
        }
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        // The driver task would end by itself once the client is gone and
        // the replies are in; on a frozen server that is never.
        self.task.abort();
    }
}

struct Slot {
    current: RwLock<Option<Arc<Conn>>>,
    /// Held while connecting; the time of the last failed attempt and its message.
    connecting: tokio::sync::Mutex<Option<(Instant, Arc<str>)>>,
}

/// Why a call could not get a connection. Nothing was sent.
#[derive(Debug, thiserror::Error)]
pub(crate) enum NoConnection {
    #[error("cannot connect to PostgreSQL: {}", Shown(.0))]
    Connect(#[source] tokio_postgres::Error),
    #[error("connecting to PostgreSQL timed out")]
    Timeout,
    #[error("connecting to PostgreSQL failed {ago_ms} ms ago: {message}")]
    RecentFailure { ago_ms: u128, message: Arc<str> },
}

pub(crate) struct Pool {
    pg: tokio_postgres::Config,
    connect_timeout: Duration,
    slots: Box<[Slot]>,
    next: AtomicUsize,
}

impl Pool {
    pub(crate) fn new(
        pg: tokio_postgres::Config,
        connections: usize,
        connect_timeout: Duration,
    ) -> Self {
        let slots = (0..connections.max(1))
            .map(|_| Slot {
                current: RwLock::new(None),
                connecting: tokio::sync::Mutex::new(None),
            })
            .collect();
        Self {
            pg,
            connect_timeout,
            slots,
            next: AtomicUsize::new(0),
        }
    }

    /// A live connection, round robin over the slots, connecting the slot
    /// if needed. Bounded by the connect timeout.
    pub(crate) async fn get(&self) -> Result<Arc<Conn>, NoConnection> {
        let index = self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len();
        let Some(slot) = self.slots.get(index) else {
            return Err(NoConnection::Timeout);
        };
        if let Some(conn) = current(slot) {
            return Ok(conn);
        }
        let arrived = Instant::now();
        let mut last_failure = tokio::time::timeout(self.connect_timeout, slot.connecting.lock())
            .await
            .map_err(|_| NoConnection::Timeout)?;
        // Another caller may have connected while this one waited.
        if let Some(conn) = current(slot) {
            return Ok(conn);
        }
        if let Some((at, message)) = last_failure.as_ref()
            && (at.elapsed() < FAILED_CONNECT_HOLD || *at >= arrived)
        {
            return Err(NoConnection::RecentFailure {
                ago_ms: at.elapsed().as_millis(),
                message: message.clone(),
            });
        }
        let budget = self.connect_timeout.saturating_sub(arrived.elapsed());
        let result = match tokio::time::timeout(budget, connect(&self.pg)).await {
            Ok(Ok(conn)) => Ok(Arc::new(conn)),
            Ok(Err(e)) => Err(NoConnection::Connect(e)),
            Err(_) => Err(NoConnection::Timeout),
        };
        match result {
            Ok(conn) => {
                *last_failure = None;
                *slot.current.write().unwrap_or_else(|e| e.into_inner()) = Some(conn.clone());
                Ok(conn)
            }
            Err(e) => {
                *last_failure = Some((Instant::now(), e.to_string().into()));
                Err(e)
            }
        }
    }

    /// Connections open now (for tests and monitoring).
    pub(crate) fn open_connections(&self) -> usize {
        self.slots
            .iter()
            .filter(|slot| current(slot).is_some())
            .count()
    }
}

fn current(slot: &Slot) -> Option<Arc<Conn>> {
    slot.current
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .filter(|conn| conn.usable())
        .cloned()
}

/// Opens a connection, spawns its driver and prepares the statements.
pub(crate) async fn connect(pg: &tokio_postgres::Config) -> Result<Conn, tokio_postgres::Error> {
    let (client, connection) = pg.connect(NoTls).await?;
    let task = tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "PostgreSQL connection ended");
        }
    });
    let statements = match Statements::prepare(&client).await {
        Ok(statements) => statements,
        Err(e) => {
            task.abort();
            return Err(e);
        }
    };
    Ok(Conn {
        client,
        statements,
        task,
        opened: Instant::now(),
        last_reply_ms: AtomicU64::new(0),
        dead: AtomicBool::new(false),
    })
}

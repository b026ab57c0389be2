//! [`PgStore`]: the [`SecretStore`] on PostgreSQL.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use oneshot_core::store::{
    BurnOutcome, BurnReason, Guards, Receipt, ReceiptState, TakeOutcome, check_put,
};
use oneshot_core::{PassphraseProof, ReceiptClaim, SecretId, SecretStore, StoreError};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_postgres::Row;

use crate::classify::{self, Failure, ResponseTimeout};
use crate::config::PgConfig;
use crate::error::{ConnectError, PgError};
use crate::pool::{self, Conn, Pool};
use crate::schema;

/// How often a statement rolled back by a serialization failure or a
/// deadlock is sent again, at most (within the call's time budget).
pub(crate) const MAX_RETRIES: u32 = 3;
/// At most this many batches of each purge statement per pass.
const MAX_PURGE_BATCHES: u32 = 100;

type StatementFuture<'a, T> =
    Pin<Box<dyn Future<Output = Result<T, tokio_postgres::Error>> + Send + 'a>>;

/// A [`SecretStore`] on PostgreSQL. Cheap to clone: clones share the
/// connections and the purger, which stops when the last clone is dropped.
#[derive(Clone)]
pub struct PgStore {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) pool: Pool,
    response_timeout: Duration,
    connect_timeout: Duration,
    max_ttl: Duration,
    purge_batch: u32,
    connections: usize,
    purger: std::sync::Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(purger) = self.purger.get_mut().ok().and_then(Option::take) {
            purger.abort();
        }
    }
}

/// What one purge pass removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PurgeStats {
    /// Rows deleted: expired plain secrets, spent ids and receipts past their keep time.
    pub rows_deleted: u64,
    /// Envelopes freed from rows kept for a receipt.
    pub envelopes_freed: u64,
}

impl PgStore {
    /// Connects with the defaults of [`PgConfig`].
    pub async fn connect(connection_string: &str) -> Result<Self, ConnectError> {
        PgConfig::new(connection_string)?.connect().await
    }

    pub(crate) async fn connect_with(config: PgConfig) -> Result<Self, ConnectError> {
        let mut pg = config.pg.clone();
        let statement_timeout = config.statement_timeout.unwrap_or(config.response_timeout);
        // Session settings sent in the startup packet (no extra round
        // trip): a statement nobody waits for stops on the server, and the
        // statements' locking assumes READ COMMITTED whatever the database's
        // default isolation is.
        let ours = format!(
            "-c statement_timeout={} -c default_transaction_isolation=read\\ committed",
            statement_timeout.as_millis().max(1)
        );
        let options = match pg.get_options() {
            Some(theirs) if !theirs.is_empty() => format!("{theirs} {ours}"),
            _ => ours,
        };
        pg.options(options);
        if pg.get_application_name().is_none() {
            pg.application_name("oneshot");
        }
        pg.connect_timeout(config.connect_timeout);
        pg.keepalives(true);
        pg.keepalives_idle(Duration::from_secs(30));

        let first = tokio::time::timeout(config.connect_timeout, async {
            let (mut client, connection) = pg
                .connect(tokio_postgres::NoTls)
                .await
                .map_err(ConnectError::Connect)?;
            let driver = tokio::spawn(connection);
            let result = if config.run_migrations {
                schema::migrate(&mut client).await.map(|_| ())
            } else {
                check_version(&client).await
            };
            drop(client);
            driver.abort();
            result
        });
        // Migrations may take longer than a connect; only connecting is timed.
        match first.await {
            Ok(result) => result?,
            Err(_) => return Err(ConnectError::Timeout),
        }

        let pool = Pool::new(pg, config.connections, config.connect_timeout);
        // The first pooled connection now, so that a store that connected is
        // one that works (and its statements prepare against the schema).
        pool.get().await.map_err(|e| match e {
            pool::NoConnection::Connect(e) => ConnectError::Connect(e),
            _ => ConnectError::Timeout,
        })?;
        let store = Self {
            inner: Arc::new(Inner {
                pool,
                response_timeout: config.response_timeout,
                connect_timeout: config.connect_timeout,
                max_ttl: config.max_ttl,
                purge_batch: config.purge_batch,
                connections: config.connections,
                purger: std::sync::Mutex::new(None),
            }),
        };
        if let Some(interval) = config.purge_interval {
            let handle = spawn_purger(Arc::downgrade(&store.inner), interval);
            *store.inner.purger.lock().unwrap_or_else(|e| e.into_inner()) = Some(handle);
        }
        Ok(store)
    }

    /// Deletes rows past their keep time and frees envelopes that expired
    /// while a receipt is kept, in batches of
    /// [`PgConfig::purge_batch`](crate::PgConfig::purge_batch) rows through
    /// the expiry indexes, until a batch comes back short (at most 100
    /// batches of each). The background purger calls this.
    pub async fn purge_expired(&self) -> Result<PurgeStats, StoreError> {
        self.inner.purge().await
    }

    /// Connections open now.
    pub fn open_connections(&self) -> usize {
        self.inner.pool.open_connections()
    }

    /// The longest lifetime accepted, also how long a spent id stays spent.
    pub fn max_ttl(&self) -> Duration {
        self.inner.max_ttl
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
    }
}

async fn check_version(client: &tokio_postgres::Client) -> Result<(), ConnectError> {
    let found = schema::version(client)
        .await
        .map_err(ConnectError::Migration)?;
    match found {
        v if v == schema::SCHEMA_VERSION => Ok(()),
        v if v > schema::SCHEMA_VERSION => Err(ConnectError::SchemaTooNew {
            found: v,
            supported: schema::SCHEMA_VERSION,
        }),
        v => Err(ConnectError::SchemaOutdated {
            found: v,
            expected: schema::SCHEMA_VERSION,
        }),
    }
}

fn spawn_purger(inner: Weak<Inner>, interval: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            let Some(inner) = inner.upgrade() else { break };
            if let Err(error) = inner.purge().await {
                tracing::warn!(%error, "purging expired secrets failed; trying again next interval");
            }
        }
    })
}

impl Inner {
    /// Runs one statement (see the crate docs' "Failure handling"): a
    /// connection within the connect timeout or `Unavailable`; the reply
    /// within the response timeout or `Indeterminate`; a statement rolled
    /// back by a conflict sent again, at most [`MAX_RETRIES`] times, within
    /// the same budget.
    pub(crate) async fn run<'a, T>(
        &'a self,
        statement: impl Fn(Arc<Conn>) -> StatementFuture<'a, T>,
    ) -> Result<T, StoreError> {
        let deadline = Instant::now() + self.connect_timeout + self.response_timeout;
        let mut retries = 0;
        loop {
            let conn = match tokio::time::timeout_at(deadline, self.pool.get()).await {
                Ok(Ok(conn)) => conn,
                Ok(Err(e)) => return Err(classify::no_connection(e)),
                Err(_) => return Err(classify::no_connection(pool::NoConnection::Timeout)),
            };
            let wait = self
                .response_timeout
                .min(deadline.saturating_duration_since(Instant::now()));
            match tokio::time::timeout(wait, statement(conn.clone())).await {
                Ok(Ok(value)) => {
                    conn.note_reply();
                    return Ok(value);
                }
                Ok(Err(e)) => {
                    if e.as_db_error().is_some() {
                        conn.note_reply();
                    }
                    match classify::statement_failed(e) {
                        Failure::Retry(_) if retries < MAX_RETRIES && Instant::now() < deadline => {
                            retries += 1;
                        }
                        Failure::Retry(error) | Failure::Final(error) => return Err(error),
                    }
                }
                Err(_) => {
                    conn.note_timeout(self.response_timeout);
                    return Err(StoreError::indeterminate(ResponseTimeout(wait)));
                }
            }
        }
    }

    async fn purge(&self) -> Result<PurgeStats, StoreError> {
        let batch = i32::try_from(self.purge_batch).unwrap_or(i32::MAX);
        let mut stats = PurgeStats::default();
        for statement in [Purge::Rows, Purge::Envelopes] {
            for _ in 0..MAX_PURGE_BATCHES {
                let n = self
                    .run(|conn| {
                        Box::pin(async move {
                            let s = match statement {
                                Purge::Rows => &conn.statements.purge_rows,
                                Purge::Envelopes => &conn.statements.purge_envelopes,
                            };
                            conn.client.execute(s, &[&batch]).await
                        })
                    })
                    .await?;
                match statement {
                    Purge::Rows => stats.rows_deleted += n,
                    Purge::Envelopes => stats.envelopes_freed += n,
                }
                if n < u64::from(self.purge_batch) {
                    break;
                }
            }
        }
        Ok(stats)
    }

    fn spent_for_micros(&self) -> i64 {
        micros(self.max_ttl)
    }
}

#[derive(Clone, Copy)]
enum Purge {
    Rows,
    Envelopes,
}

/// Microseconds, rounded up so that a lifetime is never shortened.
fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_nanos().div_ceil(1000)).unwrap_or(i64::MAX)
}

fn system_time(micros: i64) -> Result<SystemTime, StoreError> {
    u64::try_from(micros)
        .ok()
        .and_then(|us| UNIX_EPOCH.checked_add(Duration::from_micros(us)))
        .ok_or_else(|| StoreError::backend(BadRow("a time before 1970")))
}

/// A row the statements cannot have produced (a schema changed by hand?).
#[derive(Debug, thiserror::Error)]
#[error("unexpected row from PostgreSQL: {0}")]
struct BadRow(&'static str);

/// A receipt from the columns `ended, ended_at µs, expires_at µs,
/// failed_attempts` at `first` and whether the secret is still live.
fn receipt_from(row: &Row, first: usize, live: bool) -> Result<Receipt, StoreError> {
    let get = |e: tokio_postgres::Error| StoreError::backend(PgError(e));
    let ended: Option<i16> = row.try_get(first).map_err(get)?;
    let ended_at: Option<i64> = row.try_get(first + 1).map_err(get)?;
    let expires_at: i64 = row.try_get(first + 2).map_err(get)?;
    let failed: i32 = row.try_get(first + 3).map_err(get)?;
    let at = || {
        system_time(ended_at.ok_or_else(|| StoreError::backend(BadRow("ended without a time")))?)
    };
    let state = match ended {
        None if live => ReceiptState::Pending,
        None => ReceiptState::Expired,
        Some(1) => ReceiptState::Read { at: at()? },
        Some(2) => ReceiptState::Burned {
            at: at()?,
            reason: BurnReason::Sender,
        },
        Some(3) => ReceiptState::Burned {
            at: at()?,
            reason: BurnReason::PassphraseAttempts,
        },
        Some(_) => return Err(StoreError::backend(BadRow("an unknown end state"))),
    };
    Ok(Receipt::new(
        state,
        system_time(expires_at)?,
        u32::try_from(failed).unwrap_or(0),
    ))
}

impl fmt::Debug for PgStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgStore")
            .field("connections", &self.inner.connections)
            .field("open", &self.inner.pool.open_connections())
            .field("max_ttl", &self.inner.max_ttl)
            .finish()
    }
}

#[async_trait]
impl SecretStore for PgStore {
    async fn put_with_ttl(
        &self,
        id: &SecretId,
        envelope: &[u8],
        ttl: Duration,
        guards: &Guards,
    ) -> Result<(), StoreError> {
        let inner = &self.inner;
        check_put(envelope, ttl, guards, inner.max_ttl)?;
        let retention = guards.receipt().map_or(Duration::ZERO, |r| r.retention);
        let (ttl, retention) = (micros(ttl), micros(retention));
        let pass_verifier = guards
            .passphrase()
            .map(|g| g.verifier.as_bytes().as_slice());
        let attempts = guards
            .passphrase()
            .map(|g| i32::try_from(g.attempts.get()).unwrap_or(i32::MAX));
        let receipt_verifier = guards.receipt().map(|r| r.verifier.as_bytes().as_slice());
        let id = id.as_bytes().as_slice();
        let stored = inner
            .run(|conn| {
                Box::pin(async move {
                    conn.client
                        .execute(
                            &conn.statements.put,
                            &[
                                &id,
                                &envelope,
                                &ttl,
                                &retention,
                                &pass_verifier,
                                &attempts,
                                &receipt_verifier,
                            ],
                        )
                        .await
                })
            })
            .await?;
        if stored == 1 {
            Ok(())
        } else {
            Err(StoreError::AlreadyExists)
        }
    }

    async fn take(
        &self,
        id: &SecretId,
        proof: Option<&PassphraseProof>,
    ) -> Result<TakeOutcome, StoreError> {
        let inner = &self.inner;
        let verifier = proof.map(PassphraseProof::verifier);
        let verifier = verifier.as_ref().map(|v| v.as_bytes().as_slice());
        let spent_for = inner.spent_for_micros();
        let id = id.as_bytes().as_slice();
        let row = inner
            .run(|conn| {
                Box::pin(async move {
                    conn.client
                        .query_opt(&conn.statements.take, &[&id, &verifier, &spent_for])
                        .await
                })
            })
            .await?;
        let Some(row) = row else {
            return Ok(TakeOutcome::NotFound);
        };
        let get = |e: tokio_postgres::Error| StoreError::backend(PgError(e));
        let verdict: i32 = row.try_get(0).map_err(get)?;
        match verdict {
            0 => Ok(TakeOutcome::PassphraseRequired),
            1 => {
                let envelope: Option<Vec<u8>> = row.try_get(1).map_err(get)?;
                envelope
                    .map(TakeOutcome::Taken)
                    .ok_or_else(|| StoreError::backend(BadRow("a take without its envelope")))
            }
            2 => {
                let left: Option<i32> = row.try_get(2).map_err(get)?;
                let left = left.ok_or_else(|| StoreError::backend(BadRow("no attempts left")))?;
                Ok(TakeOutcome::WrongPassphrase {
                    attempts_left: u32::try_from(left).unwrap_or(0),
                })
            }
            _ => Err(StoreError::backend(BadRow("an unknown verdict"))),
        }
    }

    async fn receipt(
        &self,
        id: &SecretId,
        claim: &ReceiptClaim,
    ) -> Result<Option<Receipt>, StoreError> {
        let verifier = claim.verifier();
        let verifier = verifier.as_bytes().as_slice();
        let id = id.as_bytes().as_slice();
        let row = self
            .inner
            .run(|conn| {
                Box::pin(async move {
                    conn.client
                        .query_opt(&conn.statements.receipt, &[&id, &verifier])
                        .await
                })
            })
            .await?;
        let Some(row) = row else { return Ok(None) };
        let live: bool = row
            .try_get(4)
            .map_err(|e| StoreError::backend(PgError(e)))?;
        receipt_from(&row, 0, live).map(Some)
    }

    async fn burn(
        &self,
        id: &SecretId,
        claim: &ReceiptClaim,
    ) -> Result<Option<BurnOutcome>, StoreError> {
        let inner = &self.inner;
        let verifier = claim.verifier();
        let verifier = verifier.as_bytes().as_slice();
        let spent_for = inner.spent_for_micros();
        let id = id.as_bytes().as_slice();
        let row = inner
            .run(|conn| {
                Box::pin(async move {
                    conn.client
                        .query_opt(&conn.statements.burn, &[&id, &verifier, &spent_for])
                        .await
                })
            })
            .await?;
        let Some(row) = row else { return Ok(None) };
        let burned: bool = row
            .try_get(4)
            .map_err(|e| StoreError::backend(PgError(e)))?;
        // Not burned now and not ended: it was not pending, so it expired.
        let receipt = receipt_from(&row, 0, false)?;
        Ok(Some(if burned {
            BurnOutcome::Burned(receipt)
        } else {
            BurnOutcome::Refused(receipt)
        }))
    }
}

impl PgConfig {
    /// Connects: migrates (or checks) the schema, opens the first
    /// connection and starts the purger. Needs a tokio runtime.
    ///
    /// (Defined here, beside the store it makes, so that `config` imports
    /// nothing above it.)
    pub async fn connect(self) -> Result<PgStore, ConnectError> {
        PgStore::connect_with(self).await
    }
}

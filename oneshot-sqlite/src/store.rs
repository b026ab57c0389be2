//! [`SqliteStore`]: the [`SecretStore`] on SQLite, and its `check_server`.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::mpsc::Sender;
use std::time::Duration;

use async_trait::async_trait;
use oneshot_core::store::{BurnOutcome, Guards, Receipt, TakeOutcome, check_put};
use oneshot_core::{PassphraseProof, ReceiptClaim, SecretId, SecretStore, StoreError};
use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::config::SqliteConfig;
use crate::error::OpenError;
use crate::ops::{Op, Reply};
use crate::worker::{CLAIMED, Call, Job, QUEUED, Settings, WITHDRAWN, Worker, WorkerGone};

/// A [`SecretStore`] on one SQLite database, written by one thread. Cheap to
/// clone: clones share the thread, which closes the database when the last
/// clone is dropped.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    jobs: Sender<Job>,
    call_timeout: Duration,
    max_ttl: Duration,
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

/// A setting that weakens what the store promises; from
/// [`SqliteStore::check_server`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerWarning {
    /// The database is in memory: every secret is lost with the store.
    InMemory,
    /// The journal mode is not WAL (a file left in another mode by another
    /// program): commits hold out readers, and durability depends on it.
    JournalMode(String),
    /// `synchronous` is below FULL: the last commits before a power loss or
    /// OS crash can be rolled back, so a taken secret can come back.
    Synchronous(String),
}

impl fmt::Display for ServerWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InMemory => {
                f.write_str("the database is in memory: secrets do not survive a restart")
            }
            Self::JournalMode(mode) => write!(f, "journal_mode is {mode}, not wal"),
            Self::Synchronous(level) => write!(
                f,
                "synchronous is {level}: after a power loss, taken secrets can come back"
            ),
        }
    }
}

impl SqliteStore {
    /// Opens a database file with the defaults of [`SqliteConfig`].
    pub async fn open(path: impl Into<std::path::PathBuf>) -> Result<Self, OpenError> {
        SqliteConfig::file(path).open().await
    }

    /// A private in-memory database with the defaults of [`SqliteConfig`].
    pub async fn in_memory() -> Result<Self, OpenError> {
        SqliteConfig::in_memory().open().await
    }

    pub(crate) fn start(conn: Connection, config: &SqliteConfig) -> Result<Self, OpenError> {
        let (jobs, receiver) = std::sync::mpsc::channel();
        let worker = Worker {
            conn,
            jobs: receiver,
            spent_us: micros(config.max_ttl),
            purge_interval: config.purge_interval,
            purge_batch: i64::from(config.purge_batch),
        };
        std::thread::Builder::new()
            .name("oneshot-sqlite".into())
            .spawn(move || worker.run())
            .map_err(OpenError::Thread)?;
        Ok(Self {
            inner: Arc::new(Inner {
                jobs,
                call_timeout: config.call_timeout,
                max_ttl: config.max_ttl,
            }),
        })
    }

    /// Deletes rows past their keep time and frees envelopes that expired
    /// while a receipt is kept, in batches through the expiry indexes, until
    /// a batch comes back short. The writer thread does this every purge
    /// interval by itself.
    pub async fn purge_expired(&self) -> Result<PurgeStats, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.send(Job::Purge(reply))?;
        let (rows, envelopes) = answer
            .await
            .map_err(|_| StoreError::unavailable(WorkerGone))??;
        Ok(PurgeStats {
            rows_deleted: rows as u64,
            envelopes_freed: envelopes as u64,
        })
    }

    /// The settings in effect that weaken the guarantees: an in-memory
    /// database, a journal mode other than WAL, `synchronous` below FULL.
    pub async fn check_server(&self) -> Result<Vec<ServerWarning>, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.send(Job::Inspect(reply))?;
        let settings: Settings = answer
            .await
            .map_err(|_| StoreError::unavailable(WorkerGone))??;
        let mut warnings = Vec::new();
        if settings.in_memory {
            warnings.push(ServerWarning::InMemory);
        } else if !settings.journal_mode.eq_ignore_ascii_case("wal") {
            warnings.push(ServerWarning::JournalMode(settings.journal_mode));
        }
        if settings.synchronous < 2 {
            let level = if settings.synchronous == 1 {
                "NORMAL"
            } else {
                "OFF"
            };
            warnings.push(ServerWarning::Synchronous(level.into()));
        }
        Ok(warnings)
    }

    /// The longest lifetime accepted, also how long a spent id stays spent.
    pub fn max_ttl(&self) -> Duration {
        self.inner.max_ttl
    }

    fn send(&self, job: Job) -> Result<(), StoreError> {
        self.inner
            .jobs
            .send(job)
            .map_err(|_| StoreError::unavailable(WorkerGone))
    }

    /// Queues `op` and waits for its answer, at most the call timeout.
    async fn call(&self, op: Op) -> Result<Reply, StoreError> {
        let state = Arc::new(AtomicU8::new(QUEUED));
        let (reply, answer) = oneshot::channel();
        self.send(Job::Call(Call {
            op,
            state: state.clone(),
            reply,
        }))?;
        match tokio::time::timeout(self.inner.call_timeout, answer).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(gone(&state)),
            Err(_) => {
                // Still queued: withdraw it, and it never runs.
                let withdrawn = state
                    .compare_exchange(QUEUED, WITHDRAWN, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok();
                Err(if withdrawn {
                    StoreError::unavailable(CallTimeout {
                        timeout: self.inner.call_timeout,
                        started: false,
                    })
                } else {
                    StoreError::indeterminate(CallTimeout {
                        timeout: self.inner.call_timeout,
                        started: true,
                    })
                })
            }
        }
    }
}

/// The thread dropped the call without answering (it panicked).
fn gone(state: &AtomicU8) -> StoreError {
    if state.load(Ordering::Acquire) == CLAIMED {
        StoreError::indeterminate(WorkerGone)
    } else {
        StoreError::unavailable(WorkerGone)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("no answer from SQLite within {timeout:?} ({})", if *.started { "the call was running and may have happened" } else { "withdrawn before it ran" })]
struct CallTimeout {
    timeout: Duration,
    started: bool,
}

/// Microseconds, rounded up so that a lifetime is never shortened.
fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_nanos().div_ceil(1000)).unwrap_or(i64::MAX)
}

/// A reply of the wrong kind: a bug, never expected.
#[derive(Debug, thiserror::Error)]
#[error("the SQLite writer answered with the wrong kind of reply")]
struct WrongReply;

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("max_ttl", &self.inner.max_ttl)
            .field("call_timeout", &self.inner.call_timeout)
            .finish()
    }
}

#[async_trait]
impl SecretStore for SqliteStore {
    async fn put_with_ttl(
        &self,
        id: &SecretId,
        envelope: &[u8],
        ttl: Duration,
        guards: &Guards,
    ) -> Result<(), StoreError> {
        check_put(envelope, ttl, guards, self.inner.max_ttl)?;
        let retention = guards.receipt().map_or(Duration::ZERO, |r| r.retention);
        let op = Op::Put {
            id: *id,
            envelope: envelope.to_vec(),
            ttl_us: micros(ttl),
            retention_us: micros(retention),
            guards: *guards,
        };
        match self.call(op).await? {
            Reply::Put { stored: true } => Ok(()),
            Reply::Put { stored: false } => Err(StoreError::AlreadyExists),
            _ => Err(StoreError::backend(WrongReply)),
        }
    }

    async fn take(
        &self,
        id: &SecretId,
        proof: Option<&PassphraseProof>,
    ) -> Result<TakeOutcome, StoreError> {
        let op = Op::Take {
            id: *id,
            proof: proof.map(PassphraseProof::verifier),
        };
        match self.call(op).await? {
            Reply::Take(outcome) => Ok(outcome),
            _ => Err(StoreError::backend(WrongReply)),
        }
    }

    async fn receipt(
        &self,
        id: &SecretId,
        claim: &ReceiptClaim,
    ) -> Result<Option<Receipt>, StoreError> {
        let op = Op::Receipt {
            id: *id,
            claim: claim.verifier(),
        };
        match self.call(op).await? {
            Reply::Receipt(receipt) => Ok(receipt),
            _ => Err(StoreError::backend(WrongReply)),
        }
    }

    async fn burn(
        &self,
        id: &SecretId,
        claim: &ReceiptClaim,
    ) -> Result<Option<BurnOutcome>, StoreError> {
        let op = Op::Burn {
            id: *id,
            claim: claim.verifier(),
        };
        match self.call(op).await? {
            Reply::Burn(outcome) => Ok(outcome),
            _ => Err(StoreError::backend(WrongReply)),
        }
    }
}

impl SqliteConfig {
    /// Opens (and creates or migrates) the database and starts the writer
    /// thread.
    ///
    /// (Defined here, beside the store it makes, so that `config` imports
    /// nothing above it.)
    pub async fn open(self) -> Result<SqliteStore, OpenError> {
        let setup = self.clone();
        let conn = tokio::task::spawn_blocking(move || setup.connect())
            .await
            .map_err(OpenError::Task)??;
        SqliteStore::start(conn, &self)
    }
}

//! The writer thread: the only user of the store's connection. Calls queue
//! up; the thread runs what is queued (up to [`MAX_BATCH`] calls) in one
//! `BEGIN IMMEDIATE` transaction, one after another, commits, and only then
//! answers them: a group commit, one `fsync` for the batch, and no call is
//! answered before its effect is on disk.
//!
//! Failure classes (see the crate docs):
//! - `BEGIN IMMEDIATE` fails (another process holds the write lock past
//!   `busy_timeout`, a read-only file): nothing ran, `Unavailable` for all.
//! - A statement fails: the batch is rolled back and every call is run
//!   again alone, so that one failing call does not fail the others; a
//!   call that fails alone is rolled back and mapped by its error code.
//! - `COMMIT` fails: the WAL frames may be partly written; `Indeterminate`.
//! - A caller that gives up while its call is still queued withdraws it
//!   (`Unavailable`: it will never run); once the thread has claimed it, the
//!   caller reports `Indeterminate`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use oneshot_core::StoreError;
use rusqlite::{Connection, ErrorCode};
use tokio::sync::oneshot;

use crate::ops::{self, Op, Reply};

/// At most this many calls share a transaction.
pub(crate) const MAX_BATCH: usize = 256;
/// At most this many batches of each purge statement per pass.
const MAX_PURGE_BATCHES: usize = 100;

pub(crate) const QUEUED: u8 = 0;
pub(crate) const CLAIMED: u8 = 1;
pub(crate) const WITHDRAWN: u8 = 2;

/// What travels to the thread.
pub(crate) enum Job {
    Call(Call),
    Purge(oneshot::Sender<Result<(usize, usize), StoreError>>),
    Inspect(oneshot::Sender<Result<Settings, StoreError>>),
}

pub(crate) struct Call {
    pub(crate) op: Op,
    pub(crate) state: Arc<AtomicU8>,
    pub(crate) reply: oneshot::Sender<Result<Reply, StoreError>>,
}

/// The settings `check_server` looks at.
pub(crate) struct Settings {
    pub(crate) journal_mode: String,
    pub(crate) synchronous: i64,
    pub(crate) in_memory: bool,
}

pub(crate) struct Worker {
    pub(crate) conn: Connection,
    pub(crate) jobs: Receiver<Job>,
    pub(crate) spent_us: i64,
    pub(crate) purge_interval: Option<Duration>,
    pub(crate) purge_batch: i64,
}

/// Why SQLite failed, with its code; never with the statement's values.
#[derive(Debug, thiserror::Error)]
#[error("SQLite: {0}")]
pub(crate) struct SqliteError(#[source] pub(crate) rusqlite::Error);

/// The writer thread went away (it panicked, or the store is shutting down).
#[derive(Debug, thiserror::Error)]
#[error("the SQLite writer thread is gone")]
pub(crate) struct WorkerGone;

fn code(e: &rusqlite::Error) -> Option<ErrorCode> {
    e.sqlite_error_code()
}

/// A statement or `BEGIN` failed and was rolled back: nothing happened.
fn rolled_back(e: rusqlite::Error) -> StoreError {
    match code(&e) {
        Some(ErrorCode::DiskFull) => StoreError::CapacityExceeded,
        Some(
            ErrorCode::DatabaseBusy
            | ErrorCode::DatabaseLocked
            | ErrorCode::ReadOnly
            | ErrorCode::CannotOpen
            | ErrorCode::OutOfMemory,
        ) => StoreError::unavailable(SqliteError(e)),
        _ => StoreError::backend(SqliteError(e)),
    }
}

impl Worker {
    pub(crate) fn run(mut self) {
        let mut next_purge = self.purge_interval.map(|i| Instant::now() + i);
        loop {
            let wait = next_purge.map_or(Duration::from_secs(3600), |at| {
                at.saturating_duration_since(Instant::now())
            });
            match self.jobs.recv_timeout(wait) {
                Ok(Job::Call(first)) => {
                    let mut batch = vec![first];
                    let mut others = Vec::new();
                    while batch.len() < MAX_BATCH {
                        match self.jobs.try_recv() {
                            Ok(Job::Call(call)) => batch.push(call),
                            Ok(other) => {
                                others.push(other);
                                break;
                            }
                            Err(_) => break,
                        }
                    }
                    self.run_batch(batch);
                    for job in others {
                        self.other(job);
                    }
                }
                Ok(job) => self.other(job),
                Err(RecvTimeoutError::Timeout) => {}
                // Every store handle is gone: close the connection.
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if let (Some(at), Some(interval)) = (next_purge, self.purge_interval)
                && Instant::now() >= at
            {
                if let Err(error) = self.purge() {
                    tracing::warn!(%error, "purging expired secrets failed; trying again next interval");
                }
                next_purge = Some(Instant::now() + interval);
            }
        }
    }

    fn other(&mut self, job: Job) {
        match job {
            Job::Call(call) => self.run_batch(vec![call]),
            Job::Purge(reply) => {
                let _ = reply.send(self.purge());
            }
            Job::Inspect(reply) => {
                let _ = reply.send(
                    self.inspect()
                        .map_err(|e| StoreError::backend(SqliteError(e))),
                );
            }
        }
    }

    fn run_batch(&mut self, batch: Vec<Call>) {
        // Calls whose callers gave up while queued never run.
        let batch: Vec<Call> = batch
            .into_iter()
            .filter(|call| {
                call.state
                    .compare_exchange(QUEUED, CLAIMED, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
            })
            .collect();
        if batch.is_empty() {
            return;
        }
        if let Err(e) = self.conn.execute_batch("BEGIN IMMEDIATE") {
            let error = SqliteError(e);
            for call in batch {
                let _ = call
                    .reply
                    .send(Err(StoreError::unavailable(error.to_string())));
            }
            return;
        }
        let now = ops::now_us();
        let mut replies = Vec::with_capacity(batch.len());
        for call in &batch {
            match ops::run(&self.conn, &call.op, now, self.spent_us) {
                Ok(reply) => replies.push(reply),
                Err(_) => break,
            }
        }
        if replies.len() < batch.len() {
            // One failed: undo them all and run each alone.
            let _ = self.conn.execute_batch("ROLLBACK");
            for call in batch {
                let result = self.run_alone(&call.op);
                let _ = call.reply.send(result);
            }
            return;
        }
        match self.conn.execute_batch("COMMIT") {
            Ok(()) => {
                for (call, reply) in batch.into_iter().zip(replies) {
                    let _ = call.reply.send(Ok(reply));
                }
            }
            Err(e) => {
                let message = SqliteError(e).to_string();
                if !self.conn.is_autocommit() {
                    let _ = self.conn.execute_batch("ROLLBACK");
                }
                for call in batch {
                    let _ = call
                        .reply
                        .send(Err(StoreError::indeterminate(message.clone())));
                }
            }
        }
    }

    fn run_alone(&mut self, op: &Op) -> Result<Reply, StoreError> {
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(rolled_back)?;
        match ops::run(&self.conn, op, ops::now_us(), self.spent_us) {
            Ok(reply) => match self.conn.execute_batch("COMMIT") {
                Ok(()) => Ok(reply),
                Err(e) => {
                    if !self.conn.is_autocommit() {
                        let _ = self.conn.execute_batch("ROLLBACK");
                    }
                    Err(StoreError::indeterminate(SqliteError(e)))
                }
            },
            Err(e) => {
                if !self.conn.is_autocommit() {
                    let _ = self.conn.execute_batch("ROLLBACK");
                }
                Err(rolled_back(e))
            }
        }
    }

    /// Purge batches, each its own transaction, until one comes back short.
    fn purge(&mut self) -> Result<(usize, usize), StoreError> {
        let batch = usize::try_from(self.purge_batch).unwrap_or(usize::MAX);
        let mut freed = (0, 0);
        for rows in [true, false] {
            for _ in 0..MAX_PURGE_BATCHES {
                self.conn
                    .execute_batch("BEGIN IMMEDIATE")
                    .map_err(rolled_back)?;
                let now = ops::now_us();
                let result = if rows {
                    ops::purge_rows(&self.conn, now, self.purge_batch)
                } else {
                    ops::purge_envelopes(&self.conn, now, self.purge_batch)
                };
                let n = match result {
                    Ok(n) => n,
                    Err(e) => {
                        let _ = self.conn.execute_batch("ROLLBACK");
                        return Err(rolled_back(e));
                    }
                };
                self.conn
                    .execute_batch("COMMIT")
                    .map_err(|e| StoreError::indeterminate(SqliteError(e)))?;
                if rows {
                    freed.0 += n;
                } else {
                    freed.1 += n;
                }
                if n < batch {
                    break;
                }
            }
        }
        Ok(freed)
    }

    fn inspect(&self) -> rusqlite::Result<Settings> {
        let journal_mode: String = self
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
        let synchronous: i64 = self
            .conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))?;
        let file: String = self
            .conn
            .query_row("PRAGMA database_list", [], |r| r.get(2))?;
        Ok(Settings {
            journal_mode,
            synchronous,
            in_memory: file.is_empty(),
        })
    }
}

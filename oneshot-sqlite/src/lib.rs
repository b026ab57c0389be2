//! # oneshot-sqlite
//!
//! [`SqliteStore`], a [`SecretStore`](oneshot_core::SecretStore) on SQLite,
//! the persistent embedded default: secrets survive a restart of the
//! application without any server. Over [`rusqlite`] (0.43, SQLite compiled
//! in), it implements the whole store contract: create-only puts with a
//! lifetime, takes, spent ids, passphrase-guarded takes, receipts, burns.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use oneshot_core::store::{Guards, TakeOutcome};
//! use oneshot_core::{SecretId, SecretStore};
//! use oneshot_sqlite::SqliteStore;
//!
//! let store = SqliteStore::open("/var/lib/oneshot/secrets.db").await?;
//! let id = SecretId::from_bytes([7; 16]);
//! store.put_with_ttl(&id, b"envelope", Duration::from_secs(60), &Guards::NONE).await?;
//! assert_eq!(store.take(&id, None).await?, TakeOutcome::Taken(b"envelope".to_vec()));
//! assert_eq!(store.take(&id, None).await?, TakeOutcome::NotFound);
//! # Ok(())
//! # }
//! ```
//!
//! # Design
//!
//! - **One writer.** One connection, owned by one thread; calls are queued
//!   to it (the async API is the queue). Every operation reads and writes
//!   its row inside a `BEGIN IMMEDIATE` transaction, which takes the file's
//!   write lock before the read, so each is one atomic step: of any number
//!   of concurrent takers one gets the envelope. Other processes opening the
//!   same file take turns on that lock (`busy_timeout`, 2 s by default).
//! - **Group commit.** What is queued when the thread looks (up to 256
//!   calls) runs in one transaction, in queue order, and one commit makes
//!   all of it durable. No call is answered before that commit returned.
//! - **Durability.** WAL journal, `synchronous = FULL` by default: the WAL
//!   is synced at every commit, so a secret whose take returned stays taken
//!   after the process or the machine crashes, and a stored one is not lost.
//!   [`Synchronous::Normal`] syncs only at checkpoints: still safe against
//!   the process being killed, not against power loss. `tests/crash.rs`
//!   kills a process mid-load with SIGKILL and checks the file.
//! - **Times** are the application's wall clock (`SystemTime`, in µs), the
//!   one clock all processes on the machine share. Expired secrets are
//!   never returned (every statement compares with now); the writer thread
//!   purges every 60 s in bounded batches through the indexes on
//!   `keep_until` and `expires_at` ([`schema`]).
//! - The schema is created and migrated when the store opens the file
//!   (`PRAGMA user_version`); [`MIGRATIONS`] has the SQL.
//! - Deleted envelopes (ciphertext) stay in free pages and in the WAL until
//!   overwritten; the file does not shrink by itself.
//!
//! # Failure handling
//!
//! There is no network, but the classes are the same as for the other
//! backends: `Unavailable` when the call certainly did not happen,
//! `Indeterminate` when it may have.
//!
//! | Failure | Store reports |
//! |---|---|
//! | `BEGIN IMMEDIATE` times out on another process's lock (`SQLITE_BUSY`), the file is read-only, cannot be opened, out of memory | `Unavailable`: nothing ran |
//! | A statement fails (`SQLITE_FULL`, I/O error, corruption) | The transaction is rolled back (the batch is then run call by call); `SQLITE_FULL` is `CapacityExceeded`, busy/locked/read-only `Unavailable`, the rest `Backend` |
//! | `COMMIT` fails (I/O error while writing or syncing the WAL) | `Indeterminate`: the frames may have reached the disk |
//! | The caller's call timeout passes while the call is queued | The call is withdrawn and never runs: `Unavailable` |
//! | … while the call runs (a disk that stalls) | `Indeterminate` |
//! | The writer thread is gone | `Unavailable` (`Indeterminate` for a call it had started) |
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::print_stdout,
        clippy::print_stderr
    )
)]

mod config;
mod error;
mod ops;
pub mod schema;
mod store;
mod worker;

pub use config::{
    DEFAULT_BUSY_TIMEOUT, DEFAULT_CALL_TIMEOUT, DEFAULT_MAX_TTL, DEFAULT_PURGE_BATCH,
    DEFAULT_PURGE_INTERVAL, SqliteConfig, Synchronous,
};
pub use error::OpenError;
pub use schema::{MIGRATIONS, SCHEMA_VERSION};
pub use store::{PurgeStats, ServerWarning, SqliteStore};

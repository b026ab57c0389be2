//! # oneshot-postgres
//!
//! [`PgStore`], a [`SecretStore`](oneshot_core::SecretStore) on PostgreSQL
//! (12 or newer) over [`tokio_postgres`] (0.7), for teams that already run
//! PostgreSQL. It implements the whole store contract: create-only puts with
//! a lifetime, takes, spent ids, passphrase-guarded takes, receipts and burns.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use oneshot_core::store::{Guards, TakeOutcome};
//! use oneshot_core::{SecretId, SecretStore};
//! use oneshot_postgres::PgStore;
//!
//! let store = PgStore::connect("postgres://oneshot@127.0.0.1/oneshot").await?;
//! for warning in store.check_server().await? {
//!     eprintln!("warning: {warning}");
//! }
//! let id = SecretId::from_bytes([7; 16]);
//! store.put_with_ttl(&id, b"envelope", Duration::from_secs(60), &Guards::NONE).await?;
//! assert_eq!(store.take(&id, None).await?, TakeOutcome::Taken(b"envelope".to_vec()));
//! assert_eq!(store.take(&id, None).await?, TakeOutcome::NotFound);
//! # Ok(())
//! # }
//! ```
//!
//! # How each operation is one step
//!
//! The schema (one table, `oneshot_secrets`) and its migrations are in
//! [`schema`]; the statements, verbatim, in [`statements`]. Every operation
//! is **one statement** in its own implicit transaction, at READ COMMITTED
//! (the store sets it for its sessions):
//!
//! - `put_with_ttl` is `INSERT … ON CONFLICT (id) DO UPDATE … WHERE
//!   keep_until <= now()`: it inserts, or replaces a row whose id is free
//!   (expired unread, no receipt kept), and affects no row when the id is
//!   occupied (live, spent, or a receipt kept), which is `AlreadyExists`.
//!   PostgreSQL guarantees the insert-or-update outcome atomically, also
//!   against a concurrent insert of the same id.
//! - `take` locks the live row (`SELECT … FOR UPDATE` in a CTE), compares the
//!   proof's verifier with the stored one, and in the same statement either
//!   clears the envelope and marks the id spent (`keep_until` at least
//!   `now() + max_ttl`), counts a wrong proof (destroying the secret at the
//!   limit), or changes nothing when a proof is missing; it returns the
//!   envelope as it was. A second taker blocks on the row lock, then
//!   re-evaluates its condition on the row the first left (`envelope IS NOT
//!   NULL` no longer holds) and gets nothing. `UPDATE … RETURNING` alone would
//!   return the new, cleared envelope, hence the CTE.
//! - `receipt` is a `SELECT` matching the receipt verifier; `burn` locks,
//!   destroys if still pending, and returns the receipt in one statement.
//! - Expired secrets are never returned: every statement compares
//!   `expires_at` with `now()`. The background purger (every 60 s by
//!   default) deletes rows past `keep_until` and frees envelopes that
//!   expired while a receipt is kept, in batches of 1000 through the
//!   indexes on `keep_until` and on `expires_at` (partial: rows with an
//!   envelope), with `SKIP LOCKED` so that it never waits on callers or on
//!   the purgers of other instances.
//! - Times are the database server's clock (`now()`), with microsecond
//!   resolution, so several application instances agree; receipts report
//!   them as `SystemTime`.
//!
//! # Guarantees
//!
//! - **At most once**, by the row lock above, on one primary.
//! - **A taken secret stays taken after a crash**, which Redis without
//!   persistence cannot say: the take's implicit transaction commits before
//!   the store sees the envelope (PostgreSQL commits it at the protocol's
//!   Sync, `postgres.c` `exec_execute_message` defers the commit for
//!   non-transaction-control statements; it sends ReadyForQuery after the
//!   commit, and `tokio-postgres` returns rows only at ReadyForQuery,
//!   `query.rs:344-362`). With `synchronous_commit` on, that commit is on
//!   disk before ReadyForQuery; with a synchronous standby
//!   (`synchronous_standby_names`), on the standby too, so a failover does not
//!   bring the secret back either. [`PgStore::check_server`] warns about
//!   `synchronous_commit` off, `fsync` off, replicas without a synchronous
//!   one, and standbys. `tests/faults.rs` kills PostgreSQL with SIGKILL under
//!   load and checks that no secret is delivered twice across the restart.
//! - **Bounded calls.** A call returns within connect timeout + response
//!   timeout (defaults 1 s + 2 s) plus scheduling, with `Ok` or a typed error.
//! - Envelopes are ciphertext; PostgreSQL writes them to its WAL and data
//!   files, and freed space is reused, not overwritten at once.
//! - TLS is not supported by this crate yet: connect over a unix socket
//!   (`host=/run/postgresql`), a private network, or a TLS-terminating proxy.
//!
//! # Failure handling
//!
//! The store keeps up to [`PgConfig::connections`] connections (default 8),
//! opened lazily; calls are spread over them round robin and pipelined (a
//! `tokio_postgres::Client` takes requests from any number of tasks).
//! Statements are prepared once per connection. What `tokio-postgres`
//! (0.7.18) does on each failure, from its source (paths under
//! `tokio-postgres-0.7.18/src/`), and what the store reports:
//!
//! | Failure | What the driver does | Store reports |
//! |---|---|---|
//! | Connect refused, connect timeout, authentication error, server starting up or in recovery (`57P03`), too many connections | `Config::connect` fails (its `connect_timeout` bounds only TCP, `connect_socket.rs:16-49`, so the store bounds connect + startup + preparing with its own timeout) | `Unavailable`: no statement of the call was handed to a connection. Calls waiting for the same slot share one attempt; after a failure, calls on that slot within 100 ms fail at once |
//! | Connection closed (server killed, reset, EOF) | The driver task reads EOF or an error, ends, and closes its request channel (`connection.rs:327-338`), so `Client::is_closed` is true at once (`client.rs:770`); requests queued or sent get `Error::closed` (`client.rs:96-101` when the channel is already closed, `client.rs:55-58` when it closes while waiting) | A call that finds its connection closed reconnects first (nothing sent). A call whose statement was handed over gets `Indeterminate`: the driver cannot tell queued from written, and a written take may have committed |
//! | No reply within the response timeout | Nothing: `tokio-postgres` has no query timeout; the store wraps each statement in one. The request stays in the pipeline and may still run; its reply is read and dropped (`connection.rs:153-158`) | `Indeterminate`, never re-sent. A connection that has answered nothing for 3 response timeouts while calls time out on it (a frozen server) is closed; later calls reconnect, and fail with `Unavailable` while the server does not answer |
//! | Error reply, severity `ERROR` | `Error::db` (`client.rs:50`) after which the server skips to Sync; the implicit transaction is rolled back | Nothing happened. Serialization failure (`40001`) or deadlock (`40P01`): sent again, at most 3 times within the call's budget, then `Unavailable`. `53100` disk full: `CapacityExceeded`. Classes `08`, `53`, `57` (incl. `57014`, the server's `statement_timeout` cancelling it) and `25006` (read-only, a standby): `Unavailable`. Anything else (e.g. a missing table): `Backend` |
//! | Error reply, severity `FATAL`/`PANIC` (the backend is exiting, e.g. `57P01` at shutdown) | `Error::db`, then the connection closes | `Indeterminate`: the commit at Sync may have happened before the backend died |
//! | Decoding, protocol or unexpected-message errors | `Error::parse`, `unexpected_message`, `from_sql` | `Backend` (not retry-safe: the statement may have run) |
//!
//! The sessions are started with `statement_timeout` = the response timeout
//! (so a statement nobody waits for does not run on) and
//! `default_transaction_isolation = read committed`, in the startup packet's
//! `options`, appended to any `options` of the connection string. TCP
//! keepalives are on (30 s idle) so that a dead peer on a silent network is
//! noticed eventually.
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

mod check;
mod classify;
mod config;
mod error;
mod pool;
pub mod schema;
pub mod statements;
mod store;

pub use check::ServerWarning;
pub use config::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_CONNECTIONS, DEFAULT_MAX_TTL, DEFAULT_PURGE_BATCH,
    DEFAULT_PURGE_INTERVAL, DEFAULT_RESPONSE_TIMEOUT, PgConfig,
};
pub use error::ConnectError;
pub use schema::{MIGRATIONS, SCHEMA_VERSION};
pub use store::{PgStore, PurgeStats};

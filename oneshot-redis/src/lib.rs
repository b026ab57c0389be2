//! # oneshot-redis
//!
//! [`RedisStore`], a [`SecretStore`](oneshot_core::SecretStore) on Redis, one
//! server or a Redis Cluster, over the [`redis`] crate (1.8, tokio). It
//! implements the whole v2 store contract: spent ids, guarded takes,
//! receipts and burns, each operation one command or one Lua script.
//!
//! # Keys and operations
//!
//! A secret's keys are `K = <prefix>{<32 lowercase hex id>}` and, for a
//! guarded or receipted secret, `E = K:e`; the prefix is `oneshot:` by
//! default and may not contain braces. `{…}` is a Cluster hash tag: both keys
//! are in the slot of the id alone, so a script over both runs on one node.
//! A **plain** secret ([`Guards::NONE`](oneshot_core::store::Guards::NONE)) is
//! one string key, `K` = the envelope. A **guarded or receipted** one is a
//! hash `K` of metadata (expiry, state, transition time, passphrase verifier
//! and attempts left, receipt verifier, failed attempts; `src/store/lua.rs`
//! lists the fields) and the string `E` = the envelope.
//!
//! | Operation | Plain secret | Guarded or receipted |
//! |---|---|---|
//! | `put_with_ttl` | `SET K envelope PX ttl NX` | create script: nothing if `K` exists; `SET E envelope`, `PEXPIREAT E x`, `HSET K …`, `PEXPIREAT K x+retention`, `x` = server time + TTL |
//! | `take(id, None)` | `SET K "" XX GET PX max_ttl` ([`TakeMode::Command`]) or a one-key script doing the same ([`TakeMode::Script`]) | the same first step answers `WRONGTYPE` (or the one-key script says "hash"), having changed nothing; then the take script |
//! | `take(id, Some(proof))` | the take script (it takes a plain secret too, ignoring the proof) | the take script: checks state and expiry, compares `proof.verifier()` with the stored verifier, then takes (`GET E`, `DEL E`, state read) or counts the attempt (at the last: `DEL E`, state destroyed) |
//! | `receipt` | `None` | receipt script: the story if `K` is a hash whose receipt verifier matches the claim's |
//! | `burn` | `None` | burn script: same check; an unread, unexpired secret loses `E` and is marked burned |
//!
//! - **Spent ids.** A take, a burn or the last wrong passphrase leaves `K`
//!   for at least [`RedisConfig::max_ttl`] (72 h by default; TTLs above it
//!   are `InvalidTtl`): the plain spent marker is `""` (hence empty
//!   envelopes are refused), a guarded one the hash with its new state. A
//!   create on a spent id is `AlreadyExists`. A receipt's hash lives until the
//!   secret's expiry plus its retention, or `max_ttl` after its end if that
//!   is later.
//! - **Expiry.** `E` expires at `x` exactly; a script sees a secret as
//!   pending only while `x` is after `TIME`, which is never later than the
//!   clock Redis expires keys by within that script, so a receipt never says
//!   pending for an envelope already expired. A guarded secret without a
//!   receipt frees both keys at expiry: its id is free again, as for a plain
//!   one.
//! - **Server time.** Scripts read `TIME` and then write, which Redis allows
//!   since 5.0 (scripts replicate their effects, so replicas and the AOF get
//!   the computed values, not the call to `TIME`).
//! - **Verifiers** (32 bytes, SHA-256 of a proof or claim) are computed in
//!   Rust and compared by the script as strings. Not in constant time: both
//!   sides are hashes of 256-bit secrets, so a timing difference could at
//!   most reveal a prefix of the stored hash, which helps nobody find a proof
//!   that matches it.
//! - **Scripts** go as `EVALSHA`, then, only on `NOSCRIPT` (nothing ran),
//!   `EVAL` with the source, once; on a Cluster each node learns a script the
//!   first time it runs one for its slots. No script writes before it has
//!   decided what to do, so none is left half done (see "Failure handling").
//! - A command that may have reached the server is never sent again; such a
//!   failure is `Indeterminate`. `Unavailable` means it certainly did not run.
//!   A take of several steps (`WRONGTYPE`, then the script) sends the next
//!   step only after a reply proving the previous one changed nothing, and
//!   keeps to one call's deadline.
//! - [`RedisStore::check_server`] lists server settings that weaken the
//!   guarantees ([`ServerWarning`]).
//!
//! **Upgrading from the v1 store:** keys used to be `<prefix><hex>`; secrets
//! stored by an older version under those keys are not found (takes answer
//! `NotFound`) and expire on their own.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use oneshot_core::store::{Guards, TakeOutcome};
//! use oneshot_core::{SecretId, SecretStore};
//! use oneshot_redis::{RedisConfig, RedisStore};
//!
//! let store = RedisStore::connect("redis://127.0.0.1:6379/").await?;
//! // or: RedisStore::connect_cluster(["redis://10.0.0.1:7000", "redis://10.0.0.2:7000"]).await?;
//! // or: RedisConfig::new(url).key_prefix("app:").max_ttl(Duration::from_secs(86_400)).connect().await?;
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
//! Cargo feature `tls`: `rediss://` URLs over rustls, verified against the
//! system's roots or the PEM roots given to
//! `RedisConfig::tls_root_certificates` (a private CA). If the application
//! has not installed a rustls `CryptoProvider`, connecting installs ring's.
//!
//! # Servers
//!
//! - [`TakeMode::Command`] needs Redis ≥ 6.2 (`SET … GET`); [`TakeMode::Auto`]
//!   (the default) picks it when every primary has it, else
//!   [`TakeMode::Script`]. Guarded and receipted secrets need Redis ≥ 5.0.
//! - The store's user needs `SET`, `EVALSHA` and `EVAL`, and inside scripts
//!   `TIME`, `TYPE`, `GET`, `SET`, `DEL`, `EXISTS`, `HMGET`, `HSET`, `HDEL`,
//!   `PTTL`, `PEXPIRE`, `PEXPIREAT`; `INFO` to connect in `Auto` mode;
//!   `CONFIG GET` for `check_server`, which also probes that a script may
//!   call `TIME` ([`ServerWarning::ScriptsRefused`]).
//! - **Memory** (`MEMORY USAGE`, Redis 7.0, jemalloc, 64-bit): a plain secret
//!   with a 285-byte envelope takes 408 B, guarded and receipted 608 B (both
//!   keys); with a 64 KiB envelope 82,008 B and 82,208 B (the allocator's size
//!   class dominates). A plain spent marker takes 104 B, a read receipt's hash
//!   184 B, each for `max_ttl`: a store taking 1,000 secrets a minute with the
//!   default 72 h keeps about 4.3 million markers, some 450 MB. Lower
//!   `max_ttl` to what the application's longest lifetime really is.
//!
//! # Guarantees
//!
//! What is promised, per primary (a single server is its own primary):
//!
//! - **At most once.** Every take reads and changes a secret in one atomic
//!   step on the server (one command or one script), so of any number of
//!   concurrent takers (and burners) of one id at most one receives the
//!   envelope, and the receipt records which in the same step. The store
//!   never re-sends an operation that may have reached the server, so a lost
//!   reply cannot turn into a second, destructive take that answers "not
//!   found", nor a wrong passphrase into two counted attempts.
//! - **Create only.** `SET … NX` and the create script never overwrite; an
//!   occupied id (live, spent, or with a receipt kept) is `AlreadyExists`
//!   and the first secret is untouched.
//! - **TTL honoured by the server.** TTLs are sent as milliseconds (rounded
//!   up) and Redis never returns an expired key, whatever its eviction or
//!   expiry sweep is doing. Replicas do not expire keys on their own, but the
//!   store only talks to primaries.
//! - **Bounded calls.** A call returns within connect timeout + response
//!   timeout + 50 ms (defaults 1 s + 1 s), with `Ok` or a typed error, also
//!   when it takes two steps.
//!
//! What is *not* promised, and the operator's options:
//!
//! - **Failover.** Redis replication is asynchronous. If a primary fails and a
//!   replica is promoted (Sentinel, Cluster, a managed service), a secret
//!   created just before can be missing on the new primary, and a secret taken
//!   just before can be back and be delivered a second time (a counted
//!   attempt can be forgotten likewise). Options: run without replicas (a
//!   failure loses the secrets, never duplicates them — usually the right
//!   trade for one-time secrets); or keep replicas and accept the window;
//!   `WAIT` narrows it but is best effort and would stall every caller
//!   sharing the multiplexed connection, so this crate does not issue it.
//!   `check_server` reports replicas ([`ServerWarning::Replicas`]).
//! - **Eviction.** With any `maxmemory-policy` other than `noeviction`, a full
//!   server deletes keys early — every key has a TTL, so the `volatile-*`
//!   policies pick them just like `allkeys-*`: unread secrets, but also spent
//!   markers (the id can then be created again) and envelopes of guarded
//!   secrets (whose receipts keep saying pending). Use `noeviction`: a full
//!   server then refuses new secrets (`CapacityExceeded`) and keeps the
//!   unread ones. Takes and burns still work on a full server (they free
//!   memory); a wrong passphrase, which would only add to a count, is
//!   refused with `CapacityExceeded` and counts nothing.
//! - **Disk.** RDB snapshots and the AOF write envelopes (ciphertext) to disk,
//!   where they outlive their TTL in old files. Turn both off for a pure
//!   in-memory store, or accept it: envelopes are encrypted with keys the
//!   server never sees. `check_server` warns about both.
//!   Persistence also weakens at-most-once across a crash: a server restarted
//!   from an RDB snapshot, or from an AOF that had not yet synced the change
//!   (`appendfsync everysec`), brings back secrets taken after that point.
//! - **Restart.** Without persistence, a restart loses every secret, spent
//!   marker and receipt; takes then answer `NotFound`, receipts `None`, not
//!   errors, and the ids of spent secrets can be used again.
//! - **Outcome after `Indeterminate`.** The operation may or may not have run;
//!   a take that ran after its reply was lost has consumed the secret, whose
//!   bytes are gone. Only `Unavailable` (and `CapacityExceeded`) is safe to
//!   retry: see [`StoreError::is_retry_safe`](oneshot_core::StoreError::is_retry_safe).
//! - **Cluster slot migration.** While a slot migrates, a command or script
//!   whose keys are all on one node is followed there (`ASK`), so plain
//!   secrets work throughout. A script over a secret's two keys while one of
//!   them is missing on the node — a new guarded secret, or one whose
//!   envelope is already gone (taken, burned, expired), or whose two keys a
//!   migration tool moved in separate batches — gets `TRYAGAIN` from Redis
//!   until the slot's migration ends; the store retries for about 150 ms,
//!   then answers `Unavailable`, having changed nothing.
//!
//! # Failure handling
//!
//! What the `redis` crate (1.8.1) does on each failure class, from its source
//! (paths under `redis-1.8.1/src/`), how this crate configures it, and what
//! the store reports. The tests in `tests/` reproduce each case against real
//! servers.
//!
//! ## One server
//!
//! The store keeps one `MultiplexedConnection` (all callers pipeline over one
//! socket) and replaces it when it dies (`backend/single.rs`). It does not use
//! `ConnectionManager`: that type waits through an exponential reconnect
//! backoff (`aio/connection_manager.rs:596-617`, 6 attempts by default, line
//! 116) and reports a connect timeout and a response timeout as the same
//! `TimedOut` I/O error (`client.rs:583-599` and
//! `aio/multiplexed_connection.rs:631-638`), so its caller cannot tell "never
//! sent" from "sent". Like the manager, the store never re-sends anything.
//!
//! | Failure | What `redis` does | Store reports |
//! |---|---|---|
//! | Connect refused, connect timeout, TLS/handshake/auth failure | `get_multiplexed_async_connection_with_config` fails; the connect timeout wraps the whole handshake (`client.rs:575-600`) | `Unavailable`: the command was never handed to a connection. Callers that arrive while one attempt runs share it; after a failure, calls within 100 ms fail at once, then the next call tries again |
//! | Response timeout | `send_recv` wraps queueing *and* the reply wait in one timeout, returns `io::ErrorKind::TimedOut`, never retries (`aio/multiplexed_connection.rs:585-639`); the request may still be written later unless the driver sees its caller gone first (`:478-480`) | `Indeterminate`. The connection is kept (replies stay matched in order); one that has answered nothing for 3 response timeouts is replaced (`backend/health.rs`), after which calls fail connecting (`Unavailable`) |
//! | Connection lost (reset, EOF, broken pipe) | In-flight and later requests get `BrokenPipe`/reset (`errors/mod.rs:24-28`), whether or not they were written; the driver stops and, on RESP3, sends a `Disconnection` push (`aio/multiplexed_connection.rs:203-207, 234-251`; push senders need RESP3, `:817-823`) | `Indeterminate` for calls that were handed to the connection. The store speaks RESP3 to Redis ≥ 6, so the disconnect push marks the connection dead and the *next* call reconnects instead of writing into it: after a restart, calls are `Ok` or `Unavailable`, not spurious `Indeterminate` |
//! | Error reply `LOADING`, `BUSY`, `MASTERDOWN`, `READONLY`, `MOVED`, `TRYAGAIN`, `CLUSTERDOWN` | Returned as a server error | `Unavailable`: the server refused the command without running it |
//! | `OOM command not allowed` (maxmemory with `noeviction`) | Server error | `CapacityExceeded`, except for the plain take's `SET … XX GET`, which a full server refuses like any `SET` (before running it): the store then sends the one-key take script, whose first write is a `DEL`, which is never refused for memory |
//! | `WRONGTYPE` to the plain take's `SET … XX GET` | Server error; `SET … GET` checks the key's type before writing | Not an error: `K` is a hash (guarded or receipted secret), nothing ran, and the store sends the take script |
//! | `NOSCRIPT` (any script) | Server error | The store sends `EVAL` with the script once (nothing ran). The crate's `Script::invoke_async` would do the same (`script.rs:209-227`) but `SCRIPT LOAD` fans out to every node in a cluster, so the store sends `EVALSHA`/`EVAL` itself |
//! | Other error replies, parse errors, unexpected reply types | — | `Backend` |
//!
//! **Scripts are never left half done.** Redis does not roll back a script
//! that fails part-way, so each script first reads and decides, and writes
//! only then. On a full server Redis refuses a script's *first*
//! memory-growing write (`SET`, `HSET`) and lets the later ones run
//! (Redis 7 `script.c`, `scriptVerifyOOM`), so the scripts make that first write either a `DEL`
//! or a `redis.pcall` whose `OOM` error they return as their reply: `OOM`
//! from a script means it changed nothing (`CapacityExceeded`). The
//! scripts' own calls cannot fail otherwise for a well-formed secret; a key
//! under the prefix that the store did not write gives `Backend`.
//!
//! ## Redis Cluster
//!
//! The store uses `cluster_async::ClusterConnection` built with
//! `retries(0)`, `connection_timeout`, `response_timeout`, and
//! `overall_response_timeout` equal to the response timeout
//! (`backend/cluster.rs`).
//!
//! - **By default the cluster client re-sends after IO errors and timeouts.**
//!   `RetryParams::default()` allows 16 retries (`cluster_handling/client.rs:170`);
//!   `choose_response` maps a timeout to `RetryMethod::RetryImmediately` and
//!   re-queues the request (`cluster_handling/async_connection/request.rs:301-304`,
//!   `redis_error.rs:449-463`), and a connection error to `Reconnect` +
//!   re-queue (`request.rs:228-234`); re-queued requests are dispatched again
//!   when the client next runs (`async_connection/mod.rs:1494-1548`), on a
//!   new connection after an IO error. By default the overall timeout equals
//!   the per-node one, which usually ends the caller's wait before a retry;
//!   with `overall_response_timeout(None)` (or a longer one) a timed-out
//!   request is retried on the same node. Measured here
//!   (`tests/no_resend.rs`, run once with `retries(16)` and no overall
//!   timeout): one take against a frozen primary, with other traffic flowing,
//!   ran the take (then a `GETDEL`) 8 times when the primary woke. With
//!   `retries(0)` every error goes to the caller at once
//!   (`request.rs:202-215`); the same test counts exactly one `SET` per
//!   plain take and one `EVALSHA` per script, and a wrong passphrase counted
//!   once.
//! - `retries(0)` also stops the client following `MOVED`/`ASK`/`TRYAGAIN`/
//!   `CLUSTERDOWN`/`READONLY` (`request.rs:252-294`), though it still starts a
//!   slot-map refresh on `MOVED`/`READONLY` (`:273, :283`). Those replies prove
//!   the node did not run the command, so the store retries them itself:
//!   `ASK host:port` at once with `ASKING` + the command on that node (one
//!   pipeline), the others by slot after 10/40/100 ms pauses; at most 6 sends
//!   and never past the call's deadline, then `Unavailable`.
//! - The overall timeout bounds a request including its time in the client's
//!   queues (`async_connection/mod.rs:302-305`; `client.rs:377-378` makes it
//!   default to the response timeout). A request whose caller has given up is
//!   neither dispatched nor retried (`mod.rs:1537-1539`, `request.rs:313-315`).
//! - **Errors that do not prove anything.** When a slot refresh fails, the
//!   client fails *every* in-flight request with the refresh error, including
//!   requests already written to a node (`send_refresh_error`,
//!   `async_connection/mod.rs:1577-1608`, called at `:1719`). A "connection
//!   refused", `ClusterConnectionNotFound`, `LOADING` or `BUSY` can therefore
//!   reach a command that did run. So in cluster mode every I/O or
//!   connection error, and `LOADING`/`BUSY`/`MASTERDOWN`, is `Indeterminate`;
//!   only the redirect replies above (which a `CLUSTER SLOTS` refresh cannot
//!   produce) and `OOM` are taken as proof.
//! - A primary that dies: its connection errors first (`Indeterminate` for the
//!   calls in flight); then the client routes its slots to another connected
//!   node (`async_connection/mod.rs:897-927`), which answers `MOVED`, so later
//!   calls for those slots end `Unavailable` after the bounded retries, in
//!   about 150 ms. Other slots keep working (`tests/faults_cluster.rs`),
//!   apart from the client-wide stalls described next.
//!   With RESP3 the client reconnects a node as soon as its socket closes
//!   (`async_connection/mod.rs:212-233`).
//!
//! - **Stalls and a deadlock when a node dies.** While the client refreshes
//!   its slot map it holds the connection map's write lock
//!   (`refresh_slots`, `async_connection/mod.rs:982-1055`), so calls for
//!   *every* slot wait; with a dead node in the map that can outlast the
//!   response timeout, and those calls end `Indeterminate`. Worse, a
//!   `reconnect_loop` future that queued for the same write lock (`:1167`) is
//!   handed it by tokio's fair `RwLock` while `poll_flush` no longer polls it
//!   during a refresh (`:1713-1731`), and the refresh waits for that lock
//!   forever: a deadlock in which every call times out for good. Reproduced
//!   here in about one `kill -9` run in ten under CPU load
//!   (`tests/faults_cluster.rs`). The store watches for it: when no call has
//!   received any reply for 3 response timeouts while calls keep timing out,
//!   it builds a fresh connection from the same client in the background and
//!   swaps it in (`backend/cluster.rs`; the same silence rule as for one
//!   server, `backend/health.rs`); nothing is re-sent.
//!   [`RedisStore::cluster_connection_replacements`] counts these.
//!
//! Every call is also bounded by the store's own deadline (connect timeout +
//! response timeout + 50 ms, `backend/mod.rs`): expiry while connecting is
//! `Unavailable`, after sending `Indeterminate`.
//!
//! # Reading the source
//!
//! Modules form a stack; each uses only those below it:
//!
//! 1. `config.rs`, `error.rs`, `info.rs`: [`RedisConfig`], [`ConnectError`],
//!    reading `INFO` replies.
//! 2. `backend/`: the connections and the call runner. `classify.rs` (what
//!    each error means), `health.rs` (when a silent connection is replaced),
//!    `single.rs` and `cluster.rs` (the two query paths), `connect.rs`
//!    (start-up), `mod.rs` (`Backend::run`: the deadline and the mapping to
//!    `StoreError`).
//! 3. `store/`: [`RedisStore`] — `keys.rs` (naming), `lua.rs` (the scripts
//!    and how they are sent), `reply.rs` (replies as outcomes), `mod.rs`
//!    (which command or script each operation sends, [`RedisConfig::connect`]).
//! 4. `check.rs`: [`RedisStore::check_server`].
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

// The stack, from the bottom: each module uses only those listed before it
// (`scripts/check-imports.py` checks that there is no cycle).
mod config;
mod error;
mod info;

mod backend;
mod store;

mod check;

pub use check::ServerWarning;
pub use config::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_KEY_PREFIX, DEFAULT_MAX_TTL, DEFAULT_RESPONSE_TIMEOUT,
    RedisConfig, TakeMode,
};
pub use error::ConnectError;
pub use info::RedisVersion;
pub use store::RedisStore;

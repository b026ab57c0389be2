//! # oneshot-redis
//!
//! [`RedisStore`], a [`SecretStore`](oneshot_core::SecretStore) on Redis, one
//! server or a Redis Cluster.
//!
//! - `put_with_ttl` is `SET <prefix><hex id> <envelope> PX <ms> NX`: create
//!   only; an existing key gives `AlreadyExists`.
//! - `take` is `GETDEL` (Redis ≥ 6.2) or an atomic Lua `GET`+`DEL` script:
//!   read and delete in one step, so of concurrent takers at most one wins.
//! - A command that may have reached the server is never sent again; such a
//!   failure is `Indeterminate`. `Unavailable` means it certainly did not run.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use oneshot_core::{SecretId, SecretStore};
//! use oneshot_redis::RedisStore;
//!
//! let store = RedisStore::connect("redis://127.0.0.1:6379/").await?;
//! for warning in store.check_server().await? {
//!     eprintln!("warning: {warning}");
//! }
//! let id = SecretId::from_bytes([7; 16]);
//! store.put_with_ttl(&id, b"envelope", Duration::from_secs(60)).await?;
//! assert_eq!(store.take(&id).await?.as_deref(), Some(&b"envelope"[..]));
//! assert_eq!(store.take(&id).await?, None);
//! # Ok(())
//! # }
//! ```
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
mod cluster;
mod config;
mod connect;
mod error;
mod info;
mod single;
mod store;

pub use check::ServerWarning;
pub use config::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_KEY_PREFIX, DEFAULT_RESPONSE_TIMEOUT, RedisConfig, TakeMode,
};
pub use error::ConnectError;
pub use info::RedisVersion;
pub use store::RedisStore;

//! The store contract every backend implements, and a guide for writing one.
//!
//! # Writing a backend
//!
//! A backend is a type that implements [`SecretStore`]: two async methods
//! over opaque envelope bytes. It never sees a key or plaintext. What it must
//! guarantee is on the trait; the `testkit` feature's conformance suite
//! (`oneshot_core::testkit`, run with [`conformance_suite!`](crate::conformance_suite))
//! checks all of it, including the races, so a backend's tests are one macro
//! call.
//!
//! The requirements, in the order that backends get them wrong:
//!
//! 1. **`take` is one atomic step.** Read and delete together (a lock held
//!    over both, `GETDEL`, `DELETE … RETURNING`), never a read followed by a
//!    delete: two readers between them would both get the secret.
//! 2. **`put_with_ttl` never overwrites.** A live entry under the id means
//!    [`StoreError::AlreadyExists`] and the first envelope stays.
//! 3. **Expired entries are never returned**, whether or not they have been
//!    purged yet. A TTL under 1 ms is [`StoreError::InvalidTtl`].
//! 4. **Failures say whether anything happened.** [`StoreError::Unavailable`]
//!    only when the operation certainly did not run (nothing was sent);
//!    [`StoreError::Indeterminate`] when it may have (sent, no answer). Never
//!    re-send a take that may have reached the server: if the first one ran,
//!    the second answers "not found" and the secret is lost without anyone
//!    seeing it.
//! 5. **Errors carry no input.** Wrap the backend's error as the source; it is
//!    shown in messages and logs, so it must not contain envelopes.
//!
//! What the suite needs from a backend: a store value per case (it may share
//! one server between cases, since cases use fresh random ids); that is all.
//! The suite wraps the store in an [`Arc`] itself for its racing tasks, so the
//! store need not be `Clone`. A store that keeps time with
//! `tokio::time::Instant` can run the expiry case on a paused clock; a server
//! runs it in real time (`sleep: tokio::time::sleep` either way).
//!
//! A complete backend, with the suite run against it (this is
//! `tests/guide/map_store.rs`, which this crate's tests compile and run):
//!
//! ```
#![cfg_attr(feature = "testkit", doc = include_str!("../../tests/guide/map_store.rs"))]
//! ```
//!
//! Pointers to it work too: [`SecretStore`] is implemented for `Arc<S>`,
//! `Box<S>` and `&'static S`, with `S: ?Sized`, so an `Arc<dyn SecretStore>`
//! is a store.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::id::SecretId;

mod error;

pub use error::{BoxError, StoreError};

/// A read-once store of opaque envelopes with a lifetime.
///
/// Implementations never see keys or plaintext. The contract, checked by the
/// `testkit` conformance suite:
///
/// - `put_with_ttl` is create-only: an id that is present gives
///   [`StoreError::AlreadyExists`] and the stored envelope is not changed.
///   A TTL under 1 ms gives [`StoreError::InvalidTtl`].
/// - `take` is at most once: of any number of concurrent calls for one id, at
///   most one returns `Some`, and the entry is gone in the same atomic step.
///   Expired entries are never returned. A missing id is `Ok(None)`, never an
///   error.
#[async_trait]
pub trait SecretStore: Send + Sync + std::fmt::Debug + 'static {
    /// Stores `envelope` under `id` for `ttl`, unless `id` is present.
    async fn put_with_ttl(
        &self,
        id: &SecretId,
        envelope: &[u8],
        ttl: Duration,
    ) -> Result<(), StoreError>;

    /// Removes and returns the envelope under `id`, if present and unexpired.
    async fn take(&self, id: &SecretId) -> Result<Option<Vec<u8>>, StoreError>;
}

// Every trait method is forwarded here. The trait gives no method a default
// body, so a method added to the trait and forgotten here fails to compile
// instead of silently running a default behind a pointer.
macro_rules! forward_store {
    ($($ptr:ty),+) => {$(
        #[async_trait]
        impl<S: SecretStore + ?Sized> SecretStore for $ptr {
            async fn put_with_ttl(
                &self,
                id: &SecretId,
                envelope: &[u8],
                ttl: Duration,
            ) -> Result<(), StoreError> {
                (**self).put_with_ttl(id, envelope, ttl).await
            }

            async fn take(&self, id: &SecretId) -> Result<Option<Vec<u8>>, StoreError> {
                (**self).take(id).await
            }
        }
    )+};
}

forward_store!(Arc<S>, Box<S>, &'static S);

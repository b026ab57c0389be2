//! The store contract every backend implements.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::id::SecretId;

/// A boxed error from a backend, kept as the `source` of a [`StoreError`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong in a store, by what it means for the caller.
///
/// The distinction that matters most is [`Unavailable`](Self::Unavailable)
/// versus [`Indeterminate`](Self::Indeterminate): after the first nothing
/// happened and a retry is safe; after the second the operation may have run,
/// so a take must not be retried (the secret may be gone) and a put should not
/// be reported as created.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// `put_with_ttl` found the id present. The existing entry is untouched.
    #[error("a secret with this id already exists")]
    AlreadyExists,
    /// The TTL is below 1 ms or beyond what the store can represent.
    #[error("invalid TTL: must be at least 1 ms and representable by the store")]
    InvalidTtl,
    /// The store is full (entries or bytes). Nothing was stored.
    #[error("store capacity exceeded")]
    CapacityExceeded,
    /// The operation certainly did not happen (e.g. no connection); a retry is safe.
    #[error("store unavailable; the operation did not happen")]
    Unavailable(#[source] BoxError),
    /// The operation may have happened (e.g. a timeout after the command was
    /// sent). Do not retry a take; do not assume the secret still exists.
    #[error("store outcome unknown; the operation may have happened")]
    Indeterminate(#[source] BoxError),
    /// Any other backend failure (protocol errors, unexpected replies).
    #[error("store backend error")]
    Backend(#[source] BoxError),
}

impl StoreError {
    /// Wraps any error as [`StoreError::Unavailable`].
    pub fn unavailable(source: impl Into<BoxError>) -> Self {
        Self::Unavailable(source.into())
    }

    /// Wraps any error as [`StoreError::Indeterminate`].
    pub fn indeterminate(source: impl Into<BoxError>) -> Self {
        Self::Indeterminate(source.into())
    }

    /// Wraps any error as [`StoreError::Backend`].
    pub fn backend(source: impl Into<BoxError>) -> Self {
        Self::Backend(source.into())
    }

    /// True only when the failed operation certainly did not happen, so that
    /// repeating it cannot consume a secret twice or create one twice.
    pub fn is_retry_safe(&self) -> bool {
        matches!(self, Self::Unavailable(_) | Self::CapacityExceeded)
    }
}

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

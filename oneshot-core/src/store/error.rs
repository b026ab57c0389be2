//! [`StoreError`]: what went wrong in a store, by what it means for the caller.

/// A boxed error from a backend, kept as the `source` of a [`StoreError`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong in a store, by what it means for the caller.
///
/// The distinction that matters most is [`Unavailable`](Self::Unavailable)
/// versus [`Indeterminate`](Self::Indeterminate): after the first nothing
/// happened and a retry is safe; after the second the operation may have run,
/// so a take must not be retried (the secret may be gone) and a put should not
/// be reported as created.
///
/// The message of a variant with a backend error ends with that error's own
/// message (as `object_store` does), so a log line that prints only the
/// top-level error still says whether the server refused or timed out. A
/// backend must therefore never put input (envelopes, claims, keys) into the
/// errors it wraps; ids and addresses are fine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// `put_with_ttl` found the id present. The existing entry is untouched.
    #[error("a secret with this id already exists")]
    AlreadyExists,
    /// The TTL is below 1 ms or beyond what the store can represent.
    #[error("invalid TTL: must be at least 1 ms and representable by the store")]
    InvalidTtl,
    /// The envelope is empty; stores may use an empty value as their spent
    /// marker, so no envelope may be empty. Nothing was stored.
    #[error("an envelope must not be empty")]
    EmptyEnvelope,
    /// The store is full (entries or bytes). Nothing was stored.
    #[error("store capacity exceeded")]
    CapacityExceeded,
    /// The operation certainly did not happen (e.g. no connection); a retry is safe.
    #[error("store unavailable; the operation did not happen: {0}")]
    Unavailable(#[source] BoxError),
    /// The operation may have happened (e.g. a timeout after the command was
    /// sent). Do not retry a take; do not assume the secret still exists.
    #[error("store outcome unknown; the operation may have happened: {0}")]
    Indeterminate(#[source] BoxError),
    /// Any other backend failure (protocol errors, unexpected replies).
    #[error("store backend error: {0}")]
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

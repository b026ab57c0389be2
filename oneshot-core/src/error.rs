//! The error types of the core crate. None of them ever carries key material,
//! claims, plaintext or the input that failed to parse.

use std::time::Duration;

use crate::store::StoreError;

/// Why an envelope could not be opened.
///
/// Decryption failures are deliberately opaque: a wrong key, a flipped bit and a
/// forged envelope all look the same.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The bytes are not a well-formed v1 envelope, or the decrypted frame is not
    /// well formed. The reason is a fixed description, never data.
    #[error("malformed envelope: {0}")]
    Malformed(&'static str),
    /// The envelope starts with a version byte this library does not speak.
    #[error("unsupported envelope version {0:#04x}")]
    UnsupportedVersion(u8),
    /// Authenticated decryption failed.
    #[error("decryption failed")]
    DecryptionFailed,
}

/// Why a key, link, claim or id could not be parsed. Carries no part of the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The input has the wrong length for what it should hold.
    #[error("{what} must be {expected} characters, found {found}")]
    Length {
        /// What was being parsed.
        what: &'static str,
        /// The only accepted length.
        expected: usize,
        /// The length found.
        found: usize,
    },
    /// The input is not the canonical encoding (base64url without padding, or
    /// lowercase hex) of what it should hold.
    #[error("{what} is not valid {encoding}")]
    Encoding {
        /// What was being parsed.
        what: &'static str,
        /// The expected encoding.
        encoding: &'static str,
    },
    /// A base URL for a link is not usable; the reason is a fixed description.
    #[error("invalid link base: {0}")]
    LinkBase(&'static str),
}

/// The operating system's random number generator failed.
#[derive(Debug, thiserror::Error)]
#[error("the operating system's random number generator failed")]
pub struct RandomnessError(#[source] pub(crate) getrandom::Error);

/// Why a body could not be sealed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// The body is longer than the format can carry (2^32 - 1 bytes).
    #[error("body of {size} bytes is longer than the format allows")]
    BodyTooLarge {
        /// The body's length.
        size: usize,
    },
    /// No nonce could be drawn.
    #[error(transparent)]
    Randomness(#[from] RandomnessError),
}

/// A [`Policy`](crate::Policy) whose limits contradict each other.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The TTL bounds are empty, zero or do not contain the default.
    #[error("TTL bounds must satisfy 1 ms <= min <= default <= max")]
    TtlBounds,
    /// The body limit exceeds what the format can carry.
    #[error("body limit exceeds the format's maximum")]
    BodyLimit,
}

/// A requested lifetime outside a [`Policy`](crate::Policy)'s bounds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("lifetime {ttl:?} is outside the allowed range {min:?}..={max:?}")]
pub struct TtlOutOfRange {
    /// The requested lifetime.
    pub ttl: Duration,
    /// The shortest allowed lifetime.
    pub min: Duration,
    /// The longest allowed lifetime.
    pub max: Duration,
}

/// A body or envelope larger than a [`Policy`](crate::Policy) allows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{size} bytes exceeds the limit of {max} bytes")]
pub struct TooLarge {
    /// The length found.
    pub size: usize,
    /// The largest length allowed.
    pub max: usize,
}

/// Why [`OneShot::share`](crate::OneShot::share) stored nothing (or may have:
/// see [`StoreError`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ShareError {
    /// The secret is longer than the policy allows.
    #[error("secret too large: {0}")]
    BodyTooLarge(#[source] TooLarge),
    /// The requested lifetime is outside the policy's bounds.
    #[error(transparent)]
    TtlOutOfRange(#[from] TtlOutOfRange),
    /// Randomness for the key or the nonce was not available.
    #[error(transparent)]
    Randomness(#[from] RandomnessError),
    /// The store failed; see [`StoreError`] for whether anything happened.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why [`OneShot::store_envelope`](crate::OneShot::store_envelope) refused an
/// envelope sealed by a client (or may have stored it: see [`StoreError`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CreateError {
    /// The envelope is longer than any envelope of an allowed body.
    #[error("envelope too large: {0}")]
    EnvelopeTooLarge(#[source] TooLarge),
    /// The envelope is not one this library can open (checked without a key).
    #[error("invalid envelope: {0}")]
    InvalidEnvelope(#[source] OpenError),
    /// The requested lifetime is outside the policy's bounds.
    #[error(transparent)]
    TtlOutOfRange(#[from] TtlOutOfRange),
    /// The store failed; see [`StoreError`] for whether anything happened.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why [`OneShot::reveal`](crate::OneShot::reveal) returned no secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RevealError {
    /// The store failed; see [`StoreError`] for whether the secret is gone.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The envelope was taken but could not be opened. The secret has been
    /// consumed: it was altered, corrupted or sealed for another key.
    #[error("the secret was taken but could not be opened: {0}")]
    Open(#[source] OpenError),
}

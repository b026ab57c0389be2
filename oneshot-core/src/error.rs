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

/// Errors of the [`OneShot`](crate::OneShot) facade.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The secret is longer than the policy allows.
    #[error("secret of {size} bytes exceeds the limit of {max} bytes")]
    BodyTooLarge {
        /// The body's length.
        size: usize,
        /// The policy's limit.
        max: usize,
    },
    /// An envelope is longer than any envelope of an allowed body.
    #[error("envelope of {size} bytes exceeds the limit of {max} bytes")]
    EnvelopeTooLarge {
        /// The envelope's length.
        size: usize,
        /// The longest envelope the policy allows.
        max: usize,
    },
    /// The requested lifetime is outside the policy's bounds.
    #[error("lifetime {ttl:?} is outside the allowed range {min:?}..={max:?}")]
    TtlOutOfRange {
        /// The requested lifetime.
        ttl: Duration,
        /// The shortest allowed lifetime.
        min: Duration,
        /// The longest allowed lifetime.
        max: Duration,
    },
    /// An envelope handed in for storage is not a v1 envelope.
    #[error("invalid envelope")]
    InvalidEnvelope(#[source] OpenError),
    /// A taken envelope could not be opened. The secret has been consumed.
    #[error("the secret could not be opened")]
    Open(#[source] OpenError),
    /// Sealing failed.
    #[error("the secret could not be sealed")]
    Seal(#[from] SealError),
    /// The store failed; see [`StoreError`] for whether anything happened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A link or key could not be parsed.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// Randomness for a new key was not available.
    #[error(transparent)]
    Randomness(#[from] RandomnessError),
}

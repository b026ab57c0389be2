//! The error types of the core crate. None of them ever carries key material,
//! claims, passphrases, plaintext or the input that failed to parse.

use std::time::Duration;

use crate::format::{v1, v2};
use crate::store::StoreError;

/// Why an envelope could not be opened: the three classes of FORMAT-v1 §5 and
/// FORMAT-v2 §5, and nothing else.
///
/// Decryption failures are deliberately opaque: a wrong key, a wrong
/// passphrase, a flipped bit and a forged envelope all look the same.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The bytes are not a well-formed envelope of their version, or the
    /// decrypted frame or content is not well formed. The reason is a fixed
    /// description, never data.
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
    /// A link key is neither as long as a v1 key nor as long as a v2 fragment.
    #[error(
        "a link key must be {} (v1) or {} (v2) characters, found {found}",
        v1::KEY_B64U_LEN,
        v2::FRAGMENT_B64U_LEN
    )]
    KeyLength {
        /// The length found.
        found: usize,
    },
    /// A fragment decodes, but starts with a version byte this library does
    /// not speak for it.
    #[error("{what} has unsupported version {version:#04x}")]
    UnsupportedVersion {
        /// What was being parsed.
        what: &'static str,
        /// The version byte found (a format field, not key material).
        version: u8,
    },
    /// A v2 link fragment sets a flag bit that version 2 does not define.
    #[error("a v2 link key has unknown flags {flags:#04x}")]
    UnknownFlags {
        /// The flags byte found (a format field, not key material).
        flags: u8,
    },
}

/// The operating system's random number generator failed.
#[derive(Debug, thiserror::Error)]
#[error("the operating system's random number generator failed")]
pub struct RandomnessError(#[source] pub(crate) getrandom::Error);

/// Why a body could not be sealed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// The body (with, in v2, its content header, name and media type) is
    /// longer than the format can carry (2^32 - 1 bytes).
    #[error("body of {size} bytes is longer than the format allows")]
    BodyTooLarge {
        /// The body's length.
        size: usize,
    },
    /// No nonce could be drawn.
    #[error(transparent)]
    Randomness(#[from] RandomnessError),
}

/// Why [`crate::v2::seal`] made no envelope: the passphrase argument does not
/// fit the key (nothing was derived), or sealing itself failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SealV2Error {
    /// A passphrase was missing for a key that needs one, or given for one
    /// that does not.
    #[error(transparent)]
    Passphrase(#[from] PassphraseMismatch),
    /// The content is too large for the format, or no nonce could be drawn.
    #[error(transparent)]
    Seal(#[from] SealError),
}

impl From<RandomnessError> for SealV2Error {
    fn from(e: RandomnessError) -> Self {
        Self::Seal(SealError::Randomness(e))
    }
}

/// A passphrase that does not fit a v2 key's flags: reported before any
/// derivation, by [`crate::v2::seal`] ([`SealV2Error::Passphrase`]),
/// [`crate::v2::open`] ([`OpenV2Error::Passphrase`]) and
/// [`crate::v2::SecretKey::passphrase_proof`].
///
/// This is the caller's mistake, not a property of an envelope: a reveal page
/// asks for the passphrase exactly when
/// [`needs_passphrase`](crate::v2::SecretKey::needs_passphrase) says so. A
/// *wrong* passphrase is not this error: it derives other keys, and opening
/// fails with [`OpenError::DecryptionFailed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PassphraseMismatch {
    /// The key's flags say a passphrase is needed, and none was given.
    #[error("this link needs a passphrase, and none was given")]
    Required,
    /// A passphrase was given for a key whose flags say it has none.
    #[error("this link has no passphrase, but one was given")]
    Unexpected,
}

/// Why a passphrase was refused before deriving anything (FORMAT-v2 §2).
/// Never carries the passphrase or its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PassphraseError {
    /// The passphrase is empty.
    #[error("the passphrase is empty")]
    Empty,
    /// The passphrase is longer than 1,024 bytes of UTF-8 after NFC.
    #[error(
        "the passphrase is longer than {} bytes (UTF-8, after NFC)",
        v2::PASSPHRASE_MAX_LEN
    )]
    TooLong,
}

/// Why a file's name or media type cannot go into a v2 envelope
/// (FORMAT-v2 §4). Never carries the name or the media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ContentError {
    /// The name is empty or longer than 255 bytes of UTF-8.
    #[error(
        "a file name must be {} to {} bytes of UTF-8",
        v2::MIN_NAME_LEN,
        v2::MAX_NAME_LEN
    )]
    NameLength,
    /// The name contains `/`, `\`, a control character or a bidirectional
    /// control.
    #[error("a file name must not contain a path separator, a control or a bidirectional control")]
    NameCharacter,
    /// The name is `.` or `..`.
    #[error("a file name must not be `.` or `..`")]
    NameReserved,
    /// The media type is longer than 255 bytes.
    #[error("a media type must be at most {} bytes", v2::MAX_MEDIA_TYPE_LEN)]
    MediaTypeLength,
    /// The media type has a byte outside printable ASCII without space.
    #[error("a media type must be printable ASCII without spaces")]
    MediaTypeCharacter,
}

/// Why [`crate::v2::open`] returned no content: the passphrase argument does
/// not fit the key (nothing was derived or checked), or the envelope could
/// not be opened.
///
/// The two are kept apart so that [`OpenError`] stays the three classes of
/// FORMAT-v2 §5 that an envelope can earn, and so that a caller can tell its
/// own mistake from a bad envelope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpenV2Error {
    /// A passphrase was missing for a key that needs one, or given for one
    /// that does not.
    #[error(transparent)]
    Passphrase(#[from] PassphraseMismatch),
    /// The envelope is malformed, of another version, or does not decrypt.
    #[error(transparent)]
    Envelope(#[from] OpenError),
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
    /// The link needs a passphrase and none was given, or one was given for a
    /// link without. Nothing was asked of the store.
    #[error(transparent)]
    Passphrase(#[from] PassphraseMismatch),
    /// The passphrase was wrong. The secret is untouched and may be revealed
    /// with the right one, unless `attempts_left` is 0: then that was the last
    /// attempt allowed, and the secret is destroyed.
    #[error("wrong passphrase; {attempts_left} attempts left")]
    WrongPassphrase {
        /// Wrong passphrases still allowed before the secret is destroyed.
        attempts_left: u32,
    },
}

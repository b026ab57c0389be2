//! Limits a [`OneShot`](crate::OneShot) enforces before anything reaches a store.

use std::num::NonZeroU32;
use std::time::Duration;

use crate::error::{PolicyError, TooLarge, TtlOutOfRange};
use crate::format::v2::{CONTENT_HEADER_LEN, MAX_MEDIA_TYPE_LEN, MAX_NAME_LEN};
use crate::{v1, v2};

/// Size, lifetime, passphrase and receipt limits.
///
/// Defaults: bodies up to 64 KiB, lifetimes from 1 minute to 72 hours, 24 hours
/// when none is asked for; 5 wrong passphrases destroy a secret; receipts are
/// kept 7 days past their secret's expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    max_body_bytes: usize,
    min_ttl: Duration,
    max_ttl: Duration,
    default_ttl: Duration,
    passphrase_attempts: NonZeroU32,
    receipt_retention: Duration,
}

/// The most a v2 content header adds to a body: kind, and a name and a media
/// type of 255 bytes each with their lengths.
const MAX_CONTENT_OVERHEAD: usize = CONTENT_HEADER_LEN + MAX_NAME_LEN + MAX_MEDIA_TYPE_LEN;

/// The longest envelope of either version for a body of `body_len` bytes.
fn longest_envelope(body_len: usize) -> Option<usize> {
    let v1 = v1::envelope_len(body_len)?;
    let v2 = v2::envelope_len(body_len.checked_add(MAX_CONTENT_OVERHEAD)?)?;
    Some(v1.max(v2))
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            max_body_bytes: 64 * 1024,
            min_ttl: Duration::from_secs(60),
            max_ttl: Duration::from_secs(72 * 3600),
            default_ttl: Duration::from_secs(24 * 3600),
            passphrase_attempts: NonZeroU32::new(5).unwrap_or(NonZeroU32::MIN),
            receipt_retention: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

impl Policy {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the largest secret accepted, in bytes.
    #[must_use]
    pub fn with_max_body_bytes(mut self, max: usize) -> Self {
        self.max_body_bytes = max;
        self
    }

    /// Sets the shortest and longest lifetimes accepted.
    #[must_use]
    pub fn with_ttl_range(mut self, min: Duration, max: Duration) -> Self {
        self.min_ttl = min;
        self.max_ttl = max;
        self
    }

    /// Sets the lifetime used when none is asked for.
    #[must_use]
    pub fn with_default_ttl(mut self, ttl: Duration) -> Self {
        self.default_ttl = ttl;
        self
    }

    /// Sets how many wrong passphrases a secret survives (the last one destroys it).
    #[must_use]
    pub fn with_passphrase_attempts(mut self, attempts: NonZeroU32) -> Self {
        self.passphrase_attempts = attempts;
        self
    }

    /// Sets how long past its secret's expiry a receipt is kept.
    #[must_use]
    pub fn with_receipt_retention(mut self, retention: Duration) -> Self {
        self.receipt_retention = retention;
        self
    }

    /// Wrong passphrases a secret survives; the last one destroys it.
    pub fn passphrase_attempts(&self) -> NonZeroU32 {
        self.passphrase_attempts
    }

    /// How long past its secret's expiry a receipt is kept.
    pub fn receipt_retention(&self) -> Duration {
        self.receipt_retention
    }

    /// The largest secret accepted, in bytes.
    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    /// The shortest lifetime accepted.
    pub fn min_ttl(&self) -> Duration {
        self.min_ttl
    }

    /// The longest lifetime accepted.
    pub fn max_ttl(&self) -> Duration {
        self.max_ttl
    }

    /// The lifetime used when none is asked for.
    pub fn default_ttl(&self) -> Duration {
        self.default_ttl
    }

    /// The longest envelope that a body within the limit can produce, in
    /// either format version (a v2 file adds its name and media type).
    pub fn max_envelope_bytes(&self) -> usize {
        longest_envelope(self.max_body_bytes).unwrap_or(usize::MAX)
    }

    /// Checks that the limits are consistent.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let ordered = self.min_ttl <= self.default_ttl && self.default_ttl <= self.max_ttl;
        if self.min_ttl < Duration::from_millis(1) || !ordered {
            return Err(PolicyError::TtlBounds);
        }
        if longest_envelope(self.max_body_bytes).is_none() {
            return Err(PolicyError::BodyLimit);
        }
        Ok(())
    }

    /// The lifetime to use for a request: the default for `None`, otherwise
    /// the requested one if it is within bounds.
    pub fn resolve_ttl(&self, requested: Option<Duration>) -> Result<Duration, TtlOutOfRange> {
        let ttl = requested.unwrap_or(self.default_ttl);
        if ttl < self.min_ttl || ttl > self.max_ttl {
            return Err(TtlOutOfRange {
                ttl,
                min: self.min_ttl,
                max: self.max_ttl,
            });
        }
        Ok(ttl)
    }

    /// Checks a body's size against the limit.
    pub fn check_body(&self, size: usize) -> Result<(), TooLarge> {
        if size > self.max_body_bytes {
            return Err(TooLarge {
                size,
                max: self.max_body_bytes,
            });
        }
        Ok(())
    }

    /// Checks an envelope's size against the longest an allowed body produces.
    pub fn check_envelope(&self, size: usize) -> Result<(), TooLarge> {
        let max = self.max_envelope_bytes();
        if size > max {
            return Err(TooLarge { size, max });
        }
        Ok(())
    }
}

//! The versions of the format this crate speaks.

use std::fmt;

use crate::format::{v1, v2};

/// A version of the link and envelope format: the byte that starts every
/// envelope, and the version every key, claim and id belongs to.
///
/// New versions are added, never changed, so matching on it needs a `_` arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Version {
    /// `FORMAT-v1.md`: 43-character links, one kind of body.
    V1,
    /// `FORMAT-v2.md`: 46-character links with flags, passphrases, files,
    /// Padmé padding and receipts.
    V2,
}

impl Version {
    /// The version byte that starts this version's envelopes.
    pub const fn byte(self) -> u8 {
        match self {
            Self::V1 => v1::VERSION,
            Self::V2 => v2::VERSION,
        }
    }

    /// The version a version byte names, if this crate speaks it.
    pub const fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            v1::VERSION => Some(Self::V1),
            v2::VERSION => Some(Self::V2),
            _ => None,
        }
    }
}

impl fmt::Display for Version {
    /// `v1`, `v2`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.byte())
    }
}

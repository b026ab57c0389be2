//! Secret ids: 16 bytes, shown as 32 lowercase hex characters.

use std::fmt;
use std::str::FromStr;

use crate::error::ParseError;
use crate::format::v1::ID_LEN;

/// The id a secret is stored under, derived from its claim.
///
/// Not a secret: it may appear in logs and store keys. Knowing it is not
/// enough to take the secret (that needs the [`Claim`](crate::Claim)).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SecretId([u8; ID_LEN]);

impl SecretId {
    /// Length of the hex form.
    pub const HEX_LEN: usize = ID_LEN * 2;

    /// An id from raw bytes.
    pub const fn from_bytes(bytes: [u8; ID_LEN]) -> Self {
        Self(bytes)
    }

    /// The raw id bytes.
    pub const fn as_bytes(&self) -> &[u8; ID_LEN] {
        &self.0
    }

    /// Writes the 32 lowercase hex characters into `out` without allocating.
    pub fn encode_hex<'a>(&self, out: &'a mut [u8; Self::HEX_LEN]) -> &'a str {
        // The buffer is exactly twice the id, so encoding cannot run out of room.
        base16ct::lower::encode_str(&self.0, out).unwrap_or_default()
    }
}

impl fmt::Display for SecretId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; Self::HEX_LEN];
        f.write_str(self.encode_hex(&mut buf))
    }
}

impl fmt::Debug for SecretId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretId({self})")
    }
}

impl FromStr for SecretId {
    type Err = ParseError;

    /// Accepts exactly 32 lowercase hex characters.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != Self::HEX_LEN {
            return Err(ParseError::Length {
                what: "a secret id",
                expected: Self::HEX_LEN,
                found: s.chars().count(),
            });
        }
        let mut bytes = [0u8; ID_LEN];
        match base16ct::lower::decode(s, &mut bytes) {
            Ok(decoded) if decoded.len() == ID_LEN => Ok(Self(bytes)),
            _ => Err(ParseError::Encoding {
                what: "a secret id",
                encoding: "lowercase hex",
            }),
        }
    }
}

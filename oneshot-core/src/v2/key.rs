//! The v2 link key: `K` and its flags, and the 46-character fragment that
//! carries them (FORMAT-v2 §1).

use std::fmt;
use std::str::FromStr;

use base64ct::{Base64UrlUnpadded, Encoding};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::bytes::decode_b64u;
use crate::error::{ParseError, RandomnessError};
use crate::format::v2::{FLAG_PASSPHRASE, FRAGMENT_LEN, KEY_LEN, KNOWN_FLAGS, VERSION};
use crate::random::fill_random;

/// The flags byte of a v2 link: which extras a secret has. Only bits that
/// version 2 defines can be set.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flags(u8);

impl Flags {
    /// No flag: a secret that needs only the link.
    pub const NONE: Self = Self(0);
    /// The secret needs a passphrase besides the link.
    pub const PASSPHRASE: Self = Self(FLAG_PASSPHRASE);

    /// The flags of a flags byte, or `None` if it sets a bit version 2 does
    /// not define.
    pub const fn from_bits(bits: u8) -> Option<Self> {
        if bits & !KNOWN_FLAGS == 0 {
            Some(Self(bits))
        } else {
            None
        }
    }

    /// The flags byte.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Whether the passphrase flag is set.
    pub const fn needs_passphrase(self) -> bool {
        self.0 & FLAG_PASSPHRASE != 0
    }
}

impl fmt::Debug for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Flags({:#04x})", self.0)
    }
}

/// The v2 link key: 32 bytes `K` from the CSPRNG and the [`Flags`] that say
/// whether the secret also needs a passphrase.
///
/// Both travel in the link's fragment, `b64u(0x02 || flags || K)`, and every
/// derived value depends on both, so a link whose flag was flipped finds
/// nothing. `K` is zeroized on drop; `Debug` shows only the flags; equality
/// is constant-time in `K`.
#[derive(Clone)]
pub struct SecretKey {
    key: [u8; KEY_LEN],
    flags: Flags,
}

impl SecretKey {
    /// A fresh `K` from the operating system's CSPRNG, with `flags`.
    pub fn generate(flags: Flags) -> Result<Self, RandomnessError> {
        let mut key = [0u8; KEY_LEN];
        fill_random(&mut key)?;
        Ok(Self { key, flags })
    }

    /// A key from its raw bytes and flags (for interop and tests; prefer
    /// [`SecretKey::generate`]).
    pub fn from_bytes(key: [u8; KEY_LEN], flags: Flags) -> Self {
        Self { key, flags }
    }

    /// The raw 32 bytes of `K`.
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.key
    }

    /// The flags.
    pub fn flags(&self) -> Flags {
        self.flags
    }

    /// Whether the reader must give a passphrase besides the link: what a
    /// reveal page checks before it asks the server anything.
    pub fn needs_passphrase(&self) -> bool {
        self.flags.needs_passphrase()
    }

    /// Parses exactly the 46-character fragment `b64u(0x02 || flags || K)`:
    /// canonical base64url only, version byte 2, no unknown flag bit. No
    /// whitespace, no link: use [`crate::link::parse_key`] for user input.
    pub fn from_fragment(encoded: &str) -> Result<Self, ParseError> {
        const WHAT: &str = "a v2 link key";
        let bytes = decode_b64u::<FRAGMENT_LEN>(encoded, WHAT)?;
        let [version, flags, key @ ..] = *bytes;
        if version != VERSION {
            return Err(ParseError::UnsupportedVersion {
                what: WHAT,
                version,
            });
        }
        let flags = Flags::from_bits(flags).ok_or(ParseError::UnknownFlags { flags })?;
        Ok(Self { key, flags })
    }

    /// The 46-character fragment that goes after `#` in a link.
    pub fn to_fragment(&self) -> Zeroizing<String> {
        let mut bytes = Zeroizing::new([0u8; FRAGMENT_LEN]);
        let [version, flags, key @ ..] = &mut *bytes;
        *version = VERSION;
        *flags = self.flags.bits();
        key.copy_from_slice(&self.key);
        Zeroizing::new(Base64UrlUnpadded::encode_string(&bytes[..]))
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        self.key.zeroize();
    }
}

impl zeroize::ZeroizeOnDrop for SecretKey {}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({:?}, [REDACTED])", self.flags)
    }
}

impl PartialEq for SecretKey {
    /// Same flags and, compared in constant time, the same `K`.
    fn eq(&self, other: &Self) -> bool {
        self.flags == other.flags && bool::from(self.key.ct_eq(&other.key))
    }
}

impl Eq for SecretKey {}

impl FromStr for SecretKey {
    type Err = ParseError;

    /// Accepts a bare 46-character fragment or a full v2 link, with the
    /// trimming of [`crate::link::parse_key`]; a v1 key is the wrong length here.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_fragment(crate::fragment::fragment_of(s))
    }
}

//! The passphrase of a v2 secret (FORMAT-v2 §2): NFC, 1 to 1,024 bytes.

use std::fmt;
use std::str::FromStr;

use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use crate::error::PassphraseError;
use crate::format::v2::{PASSPHRASE_MAX_LEN, PASSPHRASE_MIN_LEN};

/// A passphrase, normalised to NFC, as the UTF-8 bytes PBKDF2 takes.
///
/// The same passphrase typed as composed or decomposed characters gives the
/// same value. It is zeroized on drop, `Debug` prints
/// `Passphrase([REDACTED])`, and no error ever shows it.
#[derive(Clone)]
pub struct Passphrase(Zeroizing<String>);

impl Passphrase {
    /// Normalises `input` to NFC and checks that it is 1 to 1,024 bytes of
    /// UTF-8. Nothing is trimmed: spaces are part of a passphrase.
    ///
    /// The caller still owns `input` and should zeroize it.
    pub fn new(input: &str) -> Result<Self, PassphraseError> {
        // Room for the longest passphrase plus one more character, so the
        // string never reallocates (which would leave an unzeroized copy).
        let mut nfc = Zeroizing::new(String::with_capacity(PASSPHRASE_MAX_LEN + 4));
        for c in input.nfc() {
            if nfc.len() + c.len_utf8() > PASSPHRASE_MAX_LEN {
                return Err(PassphraseError::TooLong);
            }
            nfc.push(c);
        }
        if nfc.len() < PASSPHRASE_MIN_LEN {
            return Err(PassphraseError::Empty);
        }
        Ok(Self(nfc))
    }

    /// The NFC form as UTF-8: the PBKDF2 password `P`.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl zeroize::ZeroizeOnDrop for Passphrase {}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase([REDACTED])")
    }
}

impl FromStr for Passphrase {
    type Err = PassphraseError;

    /// The same as [`Passphrase::new`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl TryFrom<&str> for Passphrase {
    type Error = PassphraseError;

    /// The same as [`Passphrase::new`].
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::new(s)
    }
}

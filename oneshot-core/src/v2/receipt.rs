//! Receipts (FORMAT-v2 §6): a second, sender-only key `R` that tells whether
//! a secret was read, burned or expired, and can burn it unread.
//!
//! ```text
//! receipt_claim    = HKDF(R, "oneshot/v2 receipt claim")
//! receipt_verifier = SHA-256("oneshot/v2 receipt verifier" || receipt_claim)
//! receipt fragment = b64u(0x02 || id || R)        -- 66 characters
//! ```

use base64ct::{Base64UrlUnpadded, Encoding};
use zeroize::Zeroizing;

use crate::bytes::{decode_b64u, secret_bytes};
use crate::error::{ParseError, RandomnessError};
use crate::format::v2::{
    HKDF_INFO_RECEIPT_CLAIM, ID_LEN, RECEIPT_FRAGMENT_LEN, RECEIPT_KEY_LEN, VERSION,
};
use crate::guard::{ReceiptClaim, ReceiptVerifier};
use crate::id::SecretId;
use crate::random::fill_random;
use crate::v2::derive::{expand, extract};

secret_bytes!(
    /// The receipt key `R`: 32 bytes from the CSPRNG that only the sender
    /// holds, in the receipt link. The reader's key derives nothing about it.
    ReceiptKey,
    "a receipt key"
);

const _: () = assert!(RECEIPT_KEY_LEN == 32);

impl ReceiptKey {
    /// A fresh `R` from the operating system's CSPRNG.
    pub fn generate() -> Result<Self, RandomnessError> {
        let mut bytes = [0u8; RECEIPT_KEY_LEN];
        fill_random(&mut bytes)?;
        Ok(Self::from_bytes(bytes))
    }

    /// What the sender shows the store to read the receipt or burn the
    /// secret: `HKDF(R, "oneshot/v2 receipt claim")`.
    pub fn claim(&self) -> ReceiptClaim {
        let bytes = expand::<32>(&extract(self.as_bytes()), &[HKDF_INFO_RECEIPT_CLAIM]);
        ReceiptClaim::from_bytes(*bytes)
    }

    /// What the creator gives the store: the verifier of [`ReceiptKey::claim`].
    pub fn verifier(&self) -> ReceiptVerifier {
        self.claim().verifier()
    }

    /// The 66-character receipt fragment `b64u(0x02 || id || R)` for the
    /// secret `id`.
    pub fn to_fragment(&self, id: &SecretId) -> Zeroizing<String> {
        let mut bytes = Zeroizing::new([0u8; RECEIPT_FRAGMENT_LEN]);
        let [version, rest @ ..] = &mut *bytes;
        *version = VERSION;
        let (id_part, key_part) = rest.split_at_mut(ID_LEN);
        id_part.copy_from_slice(id.as_bytes());
        key_part.copy_from_slice(self.as_bytes());
        Zeroizing::new(Base64UrlUnpadded::encode_string(&bytes[..]))
    }

    /// Parses exactly a 66-character receipt fragment into the secret's id
    /// and `R`: canonical base64url only, version byte 2. No whitespace, no
    /// link: use [`crate::link::parse_receipt`] for user input.
    pub fn from_fragment(encoded: &str) -> Result<(SecretId, Self), ParseError> {
        const WHAT: &str = "a receipt fragment";
        let bytes = decode_b64u::<RECEIPT_FRAGMENT_LEN>(encoded, WHAT)?;
        let [version, rest @ ..] = &*bytes;
        if *version != VERSION {
            return Err(ParseError::UnsupportedVersion {
                what: WHAT,
                version: *version,
            });
        }
        // The rest is exactly the id then `R` (RECEIPT_FRAGMENT_LEN is their sum).
        let (Some(id), Some(key)) = (
            rest.first_chunk::<ID_LEN>(),
            rest.last_chunk::<RECEIPT_KEY_LEN>(),
        ) else {
            return Err(ParseError::Length {
                what: WHAT,
                expected: RECEIPT_FRAGMENT_LEN,
                found: rest.len() + 1,
            });
        };
        Ok((SecretId::from_bytes(*id), Self::from_bytes(*key)))
    }
}

//! The link key `K` and the values derived from it (FORMAT-v1 §1–2).

use std::fmt;
use std::str::FromStr;

use base64ct::{Base64UrlUnpadded, Encoding};
use hkdf::Hkdf;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::bytes::decode_b64u_32;
use crate::claim::Claim;
use crate::error::{ParseError, RandomnessError};
use crate::format::v1::{CLAIM_LEN, HKDF_INFO_CLAIM, HKDF_INFO_ENC, HKDF_SALT, KEY_LEN};
use crate::id::SecretId;
use crate::random::fill_random;
use crate::version::Version;

/// The 32-byte link key `K` of format v1: the only secret a reader needs.
///
/// It lives only in the link's fragment and in the memory of the clients that
/// hold the link. It is zeroized on drop and prints as `SecretKey([REDACTED])`.
#[derive(Clone)]
pub struct SecretKey([u8; KEY_LEN]);

/// The AES-256-GCM key derived from a [`SecretKey`]; never leaves this crate.
pub(crate) struct EncKey(pub(crate) [u8; KEY_LEN]);

impl Drop for EncKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// Everything one HKDF extract gives: the encryption key, the claim and the id.
pub(crate) struct Derived {
    pub(crate) enc_key: EncKey,
    pub(crate) claim: Claim,
    pub(crate) id: SecretId,
}

impl SecretKey {
    /// A fresh key from the operating system's CSPRNG.
    pub fn generate() -> Result<Self, RandomnessError> {
        let mut bytes = [0u8; KEY_LEN];
        fill_random(&mut bytes)?;
        Ok(Self(bytes))
    }

    /// A key from its raw bytes (for interop and tests; prefer [`SecretKey::generate`]).
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(bytes)
    }

    /// The raw key bytes.
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// Parses exactly the 43-character base64url form; no whitespace, no link.
    /// Use [`crate::link::parse_key`] for user input.
    pub fn from_b64u(encoded: &str) -> Result<Self, ParseError> {
        decode_b64u_32(encoded, "a v1 link key").map(Self)
    }

    /// The 43-character base64url form that goes after `#` in a link.
    pub fn to_b64u(&self) -> Zeroizing<String> {
        Zeroizing::new(Base64UrlUnpadded::encode_string(&self.0))
    }

    /// The 43-character fragment of a link: the same as [`SecretKey::to_b64u`].
    pub fn to_fragment(&self) -> Zeroizing<String> {
        self.to_b64u()
    }

    /// The claim that proves knowledge of this key to a server at take time.
    pub fn claim(&self) -> Claim {
        self.derive().claim
    }

    /// The id the secret is stored under.
    pub fn id(&self) -> SecretId {
        self.derive().id
    }

    /// One HKDF extract, two expands, one hash (FORMAT-v1 §2).
    pub(crate) fn derive(&self) -> Derived {
        let hkdf = Hkdf::<Sha256>::new(Some(HKDF_SALT), &self.0);
        let mut enc_key = EncKey([0u8; KEY_LEN]);
        let mut claim = Zeroizing::new([0u8; CLAIM_LEN]);
        // 32 bytes is far below HKDF-SHA256's 255 * 32 limit, so neither expand can fail.
        let _ = hkdf.expand(HKDF_INFO_ENC, &mut enc_key.0);
        let _ = hkdf.expand(HKDF_INFO_CLAIM, &mut claim[..]);
        let claim = Claim::from_bytes(Version::V1, *claim);
        let id = claim.id();
        Derived { enc_key, claim, id }
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl zeroize::ZeroizeOnDrop for SecretKey {}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey([REDACTED])")
    }
}

impl FromStr for SecretKey {
    type Err = ParseError;

    /// Accepts a bare 43-character key or a full v1 link, with the trimming
    /// of [`crate::link::parse_key`]; a v2 key is the wrong length here.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_b64u(crate::fragment::fragment_of(s))
    }
}

impl PartialEq for SecretKey {
    /// Constant-time comparison.
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for SecretKey {}

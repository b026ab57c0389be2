//! The claim: what a reader shows the server to take a secret (FORMAT-v1 §2).

use std::fmt;

use base64ct::{Base64UrlUnpadded, Encoding};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::error::ParseError;
use crate::format::v1::{CLAIM_LEN, ID_DOMAIN, ID_LEN, KEY_B64U_LEN};
use crate::id::SecretId;

/// 32 bytes derived from a [`SecretKey`](crate::SecretKey) that authorise one
/// take of its secret.
///
/// Knowing the claim does not reveal the encryption key, but it does allow
/// burning the secret, so it is treated as a secret: zeroized on drop, redacted
/// in `Debug`, compared in constant time.
#[derive(Clone)]
pub struct Claim([u8; CLAIM_LEN]);

impl Claim {
    /// A claim from raw bytes.
    pub fn from_bytes(bytes: [u8; CLAIM_LEN]) -> Self {
        Self(bytes)
    }

    /// The raw claim bytes.
    pub fn as_bytes(&self) -> &[u8; CLAIM_LEN] {
        &self.0
    }

    /// Parses exactly the 43-character base64url form.
    pub fn from_b64u(encoded: &str) -> Result<Self, ParseError> {
        if encoded.len() != KEY_B64U_LEN {
            return Err(ParseError::Length {
                what: "a claim",
                expected: KEY_B64U_LEN,
                found: encoded.chars().count(),
            });
        }
        let mut bytes = [0u8; CLAIM_LEN];
        match Base64UrlUnpadded::decode(encoded, &mut bytes) {
            Ok(decoded) if decoded.len() == CLAIM_LEN => Ok(Self(bytes)),
            _ => {
                bytes.zeroize();
                Err(ParseError::Encoding {
                    what: "a claim",
                    encoding: "base64url without padding",
                })
            }
        }
    }

    /// The 43-character base64url form sent to the take endpoint.
    pub fn to_b64u(&self) -> Zeroizing<String> {
        Zeroizing::new(Base64UrlUnpadded::encode_string(&self.0))
    }

    /// `SHA-256("oneshot/v1 id" || claim)[0..16]`: the id a server stores under.
    pub fn id(&self) -> SecretId {
        let digest = Sha256::new()
            .chain_update(ID_DOMAIN)
            .chain_update(self.0)
            .finalize();
        // SHA-256 gives 32 bytes, so the first 16 always exist.
        let id = digest
            .as_slice()
            .first_chunk::<ID_LEN>()
            .copied()
            .unwrap_or_default();
        SecretId::from_bytes(id)
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl zeroize::ZeroizeOnDrop for Claim {}

impl fmt::Debug for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Claim([REDACTED])")
    }
}

impl PartialEq for Claim {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for Claim {}

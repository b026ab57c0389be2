//! The claim: what a reader shows the server to take a secret (FORMAT-v1 §2,
//! FORMAT-v2 §2).

use std::fmt;

use base64ct::{Base64UrlUnpadded, Encoding};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::bytes::decode_b64u_32;
use crate::error::ParseError;
use crate::format::{v1, v2};
use crate::id::SecretId;
use crate::version::Version;

/// Length of a claim in bytes, in every version.
const CLAIM_LEN: usize = 32;
const _: () = assert!(v1::CLAIM_LEN == CLAIM_LEN && v2::CLAIM_LEN == CLAIM_LEN);
const _: () = assert!(v1::ID_LEN == v2::ID_LEN);

/// 32 bytes derived from a link key that authorise one take of its secret,
/// with the format [`Version`] they belong to.
///
/// The version matters: it chooses how the id is hashed from the claim
/// (`"oneshot/v1 id"` or `"oneshot/v2 id"`), so the same 32 bytes name
/// different secrets in different versions. A server learns the version from
/// the endpoint or field the claim arrives in.
///
/// Knowing the claim does not reveal the encryption key, but it does allow
/// burning the secret, so it is treated as a secret: zeroized on drop, redacted
/// in `Debug`, compared in constant time.
#[derive(Clone)]
pub struct Claim {
    version: Version,
    bytes: [u8; CLAIM_LEN],
}

impl Claim {
    /// A claim of `version` from raw bytes.
    pub fn from_bytes(version: Version, bytes: [u8; CLAIM_LEN]) -> Self {
        Self { version, bytes }
    }

    /// The raw claim bytes.
    pub fn as_bytes(&self) -> &[u8; CLAIM_LEN] {
        &self.bytes
    }

    /// The version this claim belongs to.
    pub fn version(&self) -> Version {
        self.version
    }

    /// Parses exactly the 43-character base64url form of a claim of `version`.
    pub fn from_b64u(version: Version, encoded: &str) -> Result<Self, ParseError> {
        decode_b64u_32(encoded, "a claim").map(|bytes| Self { version, bytes })
    }

    /// The 43-character base64url form sent to the take endpoint.
    pub fn to_b64u(&self) -> Zeroizing<String> {
        Zeroizing::new(Base64UrlUnpadded::encode_string(&self.bytes))
    }

    /// The id a server stores the secret under:
    /// `SHA-256("oneshot/v1 id" || claim)[0..16]` for v1,
    /// `SHA-256("oneshot/v2 id" || claim)[0..16]` for v2.
    pub fn id(&self) -> SecretId {
        let domain = match self.version {
            Version::V1 => v1::ID_DOMAIN,
            Version::V2 => v2::ID_DOMAIN,
        };
        let digest = Sha256::new()
            .chain_update(domain)
            .chain_update(self.bytes)
            .finalize();
        // SHA-256 gives 32 bytes, so the first 16 always exist.
        let id = digest
            .as_slice()
            .first_chunk::<{ v1::ID_LEN }>()
            .copied()
            .unwrap_or_default();
        SecretId::from_bytes(id)
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

impl zeroize::ZeroizeOnDrop for Claim {}

impl fmt::Debug for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Claim([REDACTED])")
    }
}

impl PartialEq for Claim {
    /// Same version and same bytes; the bytes are compared in constant time.
    fn eq(&self, other: &Self) -> bool {
        self.version == other.version && bool::from(self.bytes.ct_eq(&other.bytes))
    }
}

impl Eq for Claim {}

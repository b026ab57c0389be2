//! The named constants of format v1 (`FORMAT-v1.md`).

/// The version byte that starts every v1 envelope.
pub const VERSION: u8 = 0x01;

/// Length of a link key `K` in bytes.
pub const KEY_LEN: usize = 32;
/// Length of the base64url (unpadded) form of a link key.
pub const KEY_B64U_LEN: usize = 43;
/// Length of a claim in bytes.
pub const CLAIM_LEN: usize = 32;
/// Length of a secret id in bytes (shown as 32 lowercase hex characters).
pub const ID_LEN: usize = 16;

/// HKDF-SHA256 salt for both derivations.
pub const HKDF_SALT: &[u8] = b"oneshot/v1";
/// HKDF info for the AES-256-GCM key.
pub const HKDF_INFO_ENC: &[u8] = b"oneshot/v1 enc";
/// HKDF info for the claim.
pub const HKDF_INFO_CLAIM: &[u8] = b"oneshot/v1 claim";
/// Domain prefix hashed before the claim to make the id.
pub const ID_DOMAIN: &[u8] = b"oneshot/v1 id";
/// Prefix of the AES-GCM associated data (followed by the version byte and the id).
pub const AAD_PREFIX: &[u8] = b"oneshot/v1";
/// Length of the associated data: prefix, version byte, id.
pub const AAD_LEN: usize = AAD_PREFIX.len() + 1 + ID_LEN;

/// AES-GCM nonce length.
pub const NONCE_LEN: usize = 12;
/// AES-GCM tag length.
pub const TAG_LEN: usize = 16;
/// Bytes before the ciphertext: version and nonce.
pub const HEADER_LEN: usize = 1 + NONCE_LEN;
/// Bytes an envelope adds to its frame: header and tag.
pub const OVERHEAD: usize = HEADER_LEN + TAG_LEN;
/// Frames are padded to a multiple of this many bytes.
pub const FRAME_BLOCK: usize = 256;
/// Length of the big-endian body length that starts a frame.
pub const FRAME_LEN_PREFIX: usize = 4;
/// The smallest valid envelope: one frame block plus overhead (285 bytes).
pub const MIN_ENVELOPE_LEN: usize = OVERHEAD + FRAME_BLOCK;
/// The largest body the format can carry (the length prefix is a `u32`).
pub const MAX_BODY_LEN: u64 = u32::MAX as u64;

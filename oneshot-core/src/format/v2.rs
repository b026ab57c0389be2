//! The named constants of format v2 (`FORMAT-v2.md`).
//!
//! Every number and string of the v2 byte contract is here, under the name the
//! code uses; the `v2` module's code refers to nothing else.

use std::ops::RangeInclusive;

/// The version byte that starts every v2 envelope, link fragment and receipt fragment.
pub const VERSION: u8 = 0x02;

// §1. The link.

/// Length of a link key `K` in bytes.
pub const KEY_LEN: usize = 32;
/// Length of a link fragment in bytes: version, flags, `K`.
pub const FRAGMENT_LEN: usize = 1 + 1 + KEY_LEN;
/// Length of the base64url (unpadded) form of a link fragment.
pub const FRAGMENT_B64U_LEN: usize = 46;
/// The flag bit set when the secret needs a passphrase.
pub const FLAG_PASSPHRASE: u8 = 0x01;
/// Every flag bit version 2 defines; a fragment with any other bit set is rejected.
pub const KNOWN_FLAGS: u8 = FLAG_PASSPHRASE;

// §2. Derived values.

/// HKDF-SHA256 salt of every v2 derivation.
pub const HKDF_SALT: &[u8] = b"oneshot/v2";
/// HKDF info for the claim (followed by the flags byte).
pub const HKDF_INFO_CLAIM: &[u8] = b"oneshot/v2 claim";
/// Length of a claim in bytes.
pub const CLAIM_LEN: usize = 32;
/// Domain prefix hashed before the claim to make the id.
pub const ID_DOMAIN: &[u8] = b"oneshot/v2 id";
/// Length of a secret id in bytes (shown as 32 lowercase hex characters).
pub const ID_LEN: usize = 16;
/// HKDF info for the PBKDF2 salt (followed by the flags byte).
pub const HKDF_INFO_PBKDF2_SALT: &[u8] = b"oneshot/v2 pbkdf2 salt";
/// Length of the PBKDF2 salt `salt_p` in bytes.
pub const PBKDF2_SALT_LEN: usize = 16;
/// PBKDF2-HMAC-SHA256 iterations, fixed for version 2.
pub const PBKDF2_ITERATIONS: u32 = 600_000;
/// Length of the PBKDF2 output `W` in bytes.
pub const PBKDF2_KEY_LEN: usize = 32;
/// Length of the HKDF input with a passphrase: `K || W`.
pub const STRETCHED_IKM_LEN: usize = KEY_LEN + PBKDF2_KEY_LEN;
/// HKDF info for the passphrase proof (followed by the flags byte).
pub const HKDF_INFO_PASSPHRASE_PROOF: &[u8] = b"oneshot/v2 passphrase proof";
/// Domain prefix hashed before a passphrase proof to make its verifier (§2).
pub const PASSPHRASE_VERIFIER_DOMAIN: &[u8] = b"oneshot/v2 passphrase verifier";
/// HKDF info for the AES-256-GCM key (followed by the flags byte).
pub const HKDF_INFO_ENC: &[u8] = b"oneshot/v2 enc";
/// Length of the AES-256-GCM key in bytes.
pub const ENC_KEY_LEN: usize = 32;
/// Shortest passphrase, in UTF-8 bytes after NFC.
pub const PASSPHRASE_MIN_LEN: usize = 1;
/// Longest passphrase, in UTF-8 bytes after NFC.
pub const PASSPHRASE_MAX_LEN: usize = 1024;

// §3. Envelope.

/// Prefix of the AES-GCM associated data (followed by the version byte, the flags and the id).
pub const AAD_PREFIX: &[u8] = b"oneshot/v2";
/// Length of the associated data: prefix, version byte, flags, id (28 bytes).
pub const AAD_LEN: usize = AAD_PREFIX.len() + 1 + 1 + ID_LEN;
/// AES-GCM nonce length.
pub const NONCE_LEN: usize = 12;
/// AES-GCM tag length.
pub const TAG_LEN: usize = 16;
/// Bytes before the ciphertext: version and nonce.
pub const HEADER_LEN: usize = 1 + NONCE_LEN;
/// Bytes an envelope adds to its frame: header and tag.
pub const OVERHEAD: usize = HEADER_LEN + TAG_LEN;

// §4. Content and frame.

/// Content kind byte of a text.
pub const KIND_TEXT: u8 = 0x00;
/// Content kind byte of a file.
pub const KIND_FILE: u8 = 0x01;
/// Bytes of content before the name, the media type and the body: kind,
/// name length, media type length.
pub const CONTENT_HEADER_LEN: usize = 3;
/// Shortest file name in bytes.
pub const MIN_NAME_LEN: usize = 1;
/// Longest file name in bytes (its length is one byte).
pub const MAX_NAME_LEN: usize = 255;
/// Longest media type in bytes (its length is one byte).
pub const MAX_MEDIA_TYPE_LEN: usize = 255;
/// What an empty media type of a file means.
pub const DEFAULT_MEDIA_TYPE: &str = "application/octet-stream";
/// The bytes a media type may hold: printable ASCII without space.
pub const MEDIA_TYPE_BYTES: RangeInclusive<u8> = 0x21..=0x7E;
/// Characters a file name must not contain besides the controls and bidi controls.
pub const NAME_SEPARATORS: [char; 2] = ['/', '\\'];
/// Control characters a file name must not contain: C0 and DEL with C1.
pub const NAME_CONTROLS: [RangeInclusive<char>; 2] = ['\u{0}'..='\u{1F}', '\u{7F}'..='\u{9F}'];
/// Bidirectional controls a file name must not contain (they make
/// `evil\u{202E}gpj.exe` look like a picture).
pub const NAME_BIDI_CONTROLS: [RangeInclusive<char>; 5] = [
    '\u{061C}'..='\u{061C}',
    '\u{200E}'..='\u{200E}',
    '\u{200F}'..='\u{200F}',
    '\u{202A}'..='\u{202E}',
    '\u{2066}'..='\u{2069}',
];
/// Names a file name must not be.
pub const NAME_RESERVED: [&str; 2] = [".", ".."];
/// Length of the big-endian content length that starts a frame.
pub const FRAME_LEN_PREFIX: usize = 4;
/// Frames are padded to a multiple of this many bytes, after Padmé.
pub const FRAME_BLOCK: usize = 256;
/// The shortest frame.
pub const MIN_FRAME_LEN: usize = FRAME_BLOCK;
/// The smallest valid envelope: the shortest frame plus overhead (285 bytes).
pub const MIN_ENVELOPE_LEN: usize = OVERHEAD + MIN_FRAME_LEN;
/// The longest content the format can carry (the length prefix is a `u32`).
pub const MAX_CONTENT_LEN: u64 = u32::MAX as u64;

// §6. Receipts.

/// Length of a receipt key `R` in bytes.
pub const RECEIPT_KEY_LEN: usize = 32;
/// HKDF info for the receipt claim.
pub const HKDF_INFO_RECEIPT_CLAIM: &[u8] = b"oneshot/v2 receipt claim";
/// Domain prefix hashed before a receipt claim to make its verifier (§6).
pub const RECEIPT_VERIFIER_DOMAIN: &[u8] = b"oneshot/v2 receipt verifier";
/// Length of a receipt fragment in bytes: version, id, `R`.
pub const RECEIPT_FRAGMENT_LEN: usize = 1 + ID_LEN + RECEIPT_KEY_LEN;
/// Length of the base64url (unpadded) form of a receipt fragment.
pub const RECEIPT_FRAGMENT_B64U_LEN: usize = 66;
/// What a receipt link adds to the site's base before `#`.
pub const RECEIPT_LINK_PATH: &str = "/r";

/// Length of the unpadded base64url form of `n` bytes.
const fn b64u_len(n: usize) -> usize {
    (n * 4).div_ceil(3)
}

const _: () = assert!(b64u_len(FRAGMENT_LEN) == FRAGMENT_B64U_LEN);
const _: () = assert!(b64u_len(RECEIPT_FRAGMENT_LEN) == RECEIPT_FRAGMENT_B64U_LEN);
const _: () = assert!(AAD_LEN == 28 && MIN_ENVELOPE_LEN == 285);

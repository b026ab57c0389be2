//! The named constants of format v2 (`FORMAT-v2.md`).

/// The version byte that starts every v2 envelope, link fragment and receipt fragment.
pub const VERSION: u8 = 0x02;

/// Domain prefix hashed before a passphrase proof to make its verifier (§2).
pub const PASSPHRASE_VERIFIER_DOMAIN: &[u8] = b"oneshot/v2 passphrase verifier";
/// Domain prefix hashed before a receipt claim to make its verifier (§6).
pub const RECEIPT_VERIFIER_DOMAIN: &[u8] = b"oneshot/v2 receipt verifier";

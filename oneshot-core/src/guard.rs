//! What guards a stored secret beyond its id (FORMAT-v2 §2 and §6): the
//! passphrase proof a reader shows and the verifier the store keeps, and the
//! receipt claim a sender shows and its verifier.
//!
//! A store never sees a passphrase or a receipt key. It keeps verifiers, and
//! compares the verifier of a presented proof with the stored one: the proof
//! is 32 bytes of HKDF output, so its SHA-256 is safe to store and to compare.

use sha2::{Digest, Sha256};

use crate::bytes::{public_bytes, secret_bytes};
use crate::format::v2::{PASSPHRASE_VERIFIER_DOMAIN, RECEIPT_VERIFIER_DOMAIN};

secret_bytes!(
    /// What a reader sends with a take to show the passphrase: derived from
    /// the link key and the passphrase, so only a link holder can make one.
    /// It unlocks the secret, so it is treated as a secret.
    PassphraseProof,
    "a passphrase proof"
);

public_bytes!(
    /// `SHA-256("oneshot/v2 passphrase verifier" || proof)`: what the store
    /// keeps to check passphrase proofs.
    PassphraseVerifier,
    "a passphrase verifier"
);

secret_bytes!(
    /// What a sender shows to read a secret's receipt or burn it, derived from
    /// the receipt key `R` that only the sender holds.
    ReceiptClaim,
    "a receipt claim"
);

public_bytes!(
    /// `SHA-256("oneshot/v2 receipt verifier" || receipt_claim)`: what the
    /// store keeps to check receipt claims.
    ReceiptVerifier,
    "a receipt verifier"
);

fn domain_hash(domain: &[u8], value: &[u8; 32]) -> [u8; 32] {
    Sha256::new()
        .chain_update(domain)
        .chain_update(value)
        .finalize()
        .into()
}

impl PassphraseProof {
    /// The verifier a store compares this proof with.
    pub fn verifier(&self) -> PassphraseVerifier {
        PassphraseVerifier::from_bytes(domain_hash(PASSPHRASE_VERIFIER_DOMAIN, self.as_bytes()))
    }
}

impl ReceiptClaim {
    /// The verifier a store compares this claim with.
    pub fn verifier(&self) -> ReceiptVerifier {
        ReceiptVerifier::from_bytes(domain_hash(RECEIPT_VERIFIER_DOMAIN, self.as_bytes()))
    }
}

//! What the store's operations answer when they did not fail.

use std::time::SystemTime;

/// What a [`take`](super::SecretStore::take) found.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TakeOutcome {
    /// The envelope, removed from the store in the same step: nobody else gets it.
    Taken(Vec<u8>),
    /// Nothing to take: never created, expired, already taken, burned or
    /// destroyed by wrong passphrases. Indistinguishable on purpose.
    NotFound,
    /// The secret needs a passphrase proof and the take had none. Nothing was
    /// counted and nothing changed.
    PassphraseRequired,
    /// The proof was wrong. The secret is untouched unless `attempts_left` is
    /// 0: that attempt was the last allowed, and the secret is destroyed.
    WrongPassphrase {
        /// Wrong proofs still allowed before the secret is destroyed.
        attempts_left: u32,
    },
}

impl TakeOutcome {
    /// The envelope, if it was taken.
    pub fn into_envelope(self) -> Option<Vec<u8>> {
        match self {
            Self::Taken(envelope) => Some(envelope),
            _ => None,
        }
    }
}

impl std::fmt::Debug for TakeOutcome {
    /// Shows an envelope's length, not its bytes: logs stay small.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Taken(envelope) => write!(f, "Taken({} bytes)", envelope.len()),
            Self::NotFound => f.write_str("NotFound"),
            Self::PassphraseRequired => f.write_str("PassphraseRequired"),
            Self::WrongPassphrase { attempts_left } => {
                write!(f, "WrongPassphrase {{ attempts_left: {attempts_left} }}")
            }
        }
    }
}

/// A secret's story, as its receipt tells it (FORMAT-v2 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receipt {
    /// Where the secret is now.
    pub state: ReceiptState,
    /// When the secret expires (or expired) if nobody takes it.
    pub expires_at: SystemTime,
    /// Wrong passphrase proofs so far.
    pub failed_attempts: u32,
}

impl Receipt {
    /// A receipt (for backends, which build them from what they stored).
    pub const fn new(state: ReceiptState, expires_at: SystemTime, failed_attempts: u32) -> Self {
        Self {
            state,
            expires_at,
            failed_attempts,
        }
    }
}

/// The four states of a receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReceiptState {
    /// Stored, unread, not expired.
    Pending,
    /// Taken once.
    Read {
        /// When it was taken.
        at: SystemTime,
    },
    /// Destroyed unread.
    Burned {
        /// When it was destroyed.
        at: SystemTime,
        /// Who or what destroyed it.
        reason: BurnReason,
    },
    /// Its lifetime ended unread.
    Expired,
}

/// Why a secret was destroyed unread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BurnReason {
    /// Its sender burned it with the receipt.
    Sender,
    /// A take showed the last allowed wrong passphrase.
    PassphraseAttempts,
}

/// What a [`burn`](super::SecretStore::burn) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BurnOutcome {
    /// The secret was unread and is destroyed now; the receipt says `Burned`.
    Burned(Receipt),
    /// The secret was already read, burned or expired; nothing changed. The
    /// receipt says which.
    Refused(Receipt),
}

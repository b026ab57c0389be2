//! What a store keeps per secret, by kind of secret: the fills that the
//! memory measurements (`oneshot-allocs --store-memory` for the memory store,
//! `oneshot-compare --only memory` for Redis) count the bytes of.

use std::num::NonZeroU32;
use std::time::Duration;

use oneshot_core::store::{Guards, TakeOutcome};
use oneshot_core::{PassphraseVerifier, ReceiptVerifier, SecretId, SecretStore, StoreError};

/// The envelope sizes of issue 14's memory rows: a short secret's and 64 KiB.
pub const ENVELOPE_SIZES: [usize; 2] = [285, 64 * 1024];

/// The goal for a live secret in the memory store: at most 1.25 × its
/// envelope plus 128 bytes.
pub fn memory_goal(envelope_len: usize) -> f64 {
    1.25 * envelope_len as f64 + 128.0
}

/// The lifetime of every secret filled in (long enough to outlive the run).
const TTL: Duration = Duration::from_secs(3600);

/// A kind of stored secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Live, no guards.
    Plain,
    /// Live, with a passphrase verifier (5 attempts) and a receipt.
    GuardedReceipted,
    /// Taken: what the store keeps of a plain secret afterwards (its spent-id marker).
    Spent,
    /// Taken, with a receipt: the spent marker and the receipt's story.
    SpentReceipted,
}

impl Kind {
    /// Every kind, in table order.
    pub const ALL: [Self; 4] = [
        Self::Plain,
        Self::GuardedReceipted,
        Self::Spent,
        Self::SpentReceipted,
    ];

    /// Its name in tables.
    pub fn label(self) -> &'static str {
        match self {
            Self::Plain => "plain",
            Self::GuardedReceipted => "passphrase + receipt",
            Self::Spent => "spent marker (plain, taken)",
            Self::SpentReceipted => "spent + receipt (receipted, taken)",
        }
    }

    /// Whether the envelope is still held (the goal compares with its size).
    pub fn is_live(self) -> bool {
        matches!(self, Self::Plain | Self::GuardedReceipted)
    }

    /// The guards it is created with.
    pub fn guards(self) -> Guards {
        let passphrase = PassphraseVerifier::from_bytes([7; 32]);
        let receipt = ReceiptVerifier::from_bytes([9; 32]);
        let attempts = NonZeroU32::new(5).unwrap_or(NonZeroU32::MIN);
        match self {
            Self::Plain | Self::Spent => Guards::NONE,
            Self::GuardedReceipted => Guards::NONE
                .with_passphrase(passphrase, attempts)
                .with_receipt(receipt, TTL),
            Self::SpentReceipted => Guards::NONE.with_receipt(receipt, TTL),
        }
    }
}

/// `count` distinct ids, all starting with `salt` (so fills never collide).
pub fn ids(salt: u8, count: usize) -> Vec<SecretId> {
    (0..count as u64)
        .map(|i| {
            let mut bytes = [salt; 16];
            if let Some(tail) = bytes.get_mut(8..) {
                tail.copy_from_slice(&i.to_le_bytes());
            }
            SecretId::from_bytes(bytes)
        })
        .collect()
}

/// Why a fill failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FillError {
    /// The store refused the kind at the first put: it does not support it yet.
    #[error("not supported by this store yet ({0})")]
    Unsupported(#[source] StoreError),
    /// A later store failure.
    #[error("store failed during the fill")]
    Store(#[from] StoreError),
    /// A take of a just-put secret did not return it.
    #[error("a take during the fill did not return the secret")]
    Lost,
}

/// Puts one secret of `kind` under each id (and takes it, for the spent
/// kinds), one after another.
pub async fn fill<S: SecretStore>(
    store: &S,
    kind: Kind,
    ids: &[SecretId],
    envelope: &[u8],
) -> Result<(), FillError> {
    let guards = kind.guards();
    for (n, id) in ids.iter().enumerate() {
        match store.put_with_ttl(id, envelope, TTL, &guards).await {
            Ok(()) => {}
            Err(e) if n == 0 && !guards.is_none() => return Err(FillError::Unsupported(e)),
            Err(e) => return Err(e.into()),
        }
        if !kind.is_live() && !matches!(store.take(id, None).await?, TakeOutcome::Taken(_)) {
            return Err(FillError::Lost);
        }
    }
    Ok(())
}

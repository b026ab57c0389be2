//! [`Guards`]: what a create may ask the store to enforce beyond the id.

use std::num::NonZeroU32;
use std::time::Duration;

use crate::guard::{PassphraseVerifier, ReceiptVerifier};

/// What guards a new secret beyond its id: a passphrase with an attempt
/// limit, a receipt for its sender, both or neither ([`Guards::NONE`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Guards {
    passphrase: Option<PassphraseGuard>,
    receipt: Option<ReceiptGuard>,
}

/// A take must show a proof whose verifier is `verifier`; after `attempts`
/// wrong proofs the secret is destroyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PassphraseGuard {
    /// The verifier that a take's proof must hash to.
    pub verifier: PassphraseVerifier,
    /// Wrong proofs allowed before the secret is destroyed (the last one destroys it).
    pub attempts: NonZeroU32,
}

/// The store keeps the secret's story for its sender, who shows a receipt
/// claim whose verifier is `verifier`, until `retention` after the secret's expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiptGuard {
    /// The verifier that a receipt claim must hash to.
    pub verifier: ReceiptVerifier,
    /// How long past the secret's expiry the story stays readable.
    pub retention: Duration,
}

impl Guards {
    /// Nothing beyond the id: the plain, cheapest kind of secret.
    pub const NONE: Self = Self {
        passphrase: None,
        receipt: None,
    };

    /// Adds a passphrase guard.
    #[must_use]
    pub const fn with_passphrase(
        mut self,
        verifier: PassphraseVerifier,
        attempts: NonZeroU32,
    ) -> Self {
        self.passphrase = Some(PassphraseGuard { verifier, attempts });
        self
    }

    /// Adds a receipt.
    #[must_use]
    pub const fn with_receipt(mut self, verifier: ReceiptVerifier, retention: Duration) -> Self {
        self.receipt = Some(ReceiptGuard {
            verifier,
            retention,
        });
        self
    }

    /// The passphrase guard, if any.
    pub const fn passphrase(&self) -> Option<&PassphraseGuard> {
        self.passphrase.as_ref()
    }

    /// The receipt, if any.
    pub const fn receipt(&self) -> Option<&ReceiptGuard> {
        self.receipt.as_ref()
    }

    /// True when neither is set, so a backend can use its plainest path.
    pub const fn is_none(&self) -> bool {
        self.passphrase.is_none() && self.receipt.is_none()
    }
}

//! The store contract every backend implements, and a guide for writing one.
//!
//! # Writing a backend
//!
//! A backend is a type that implements [`SecretStore`]: four async methods
//! over opaque envelope bytes and 32-byte verifiers. It never sees a key, a
//! passphrase or plaintext. What it must guarantee is on the trait; the
//! `testkit` feature's conformance suite (`oneshot_core::testkit`, run with
//! [`conformance_suite!`](crate::conformance_suite)) checks all of it,
//! including the races, so a backend's tests are one macro call.
//!
//! The requirements, in the order that backends get them wrong:
//!
//! 1. **One atomic step per operation.** A take reads and deletes together
//!    (a lock held over both, `SET … XX GET`, `DELETE … RETURNING`), never a
//!    read followed by a delete: two readers between them would both get the
//!    secret. A guarded take compares the proof, then removes or counts, in
//!    that same step; a receipt's transition is recorded in it too.
//! 2. **Spent ids stay spent.** After a take, a burn or the last wrong
//!    passphrase, the id is kept (without its envelope) for at least the
//!    longest lifetime the store accepts, so a create with it is
//!    [`StoreError::AlreadyExists`]. Otherwise whoever read a secret can put
//!    another under the same link, and its reader never notices.
//! 3. **Create never overwrites.** An occupied id (live, spent, or with a
//!    receipt still kept) means [`StoreError::AlreadyExists`], and the first
//!    envelope stays.
//! 4. **Expired secrets are never returned**, purged or not; their envelopes
//!    are freed at expiry even while a receipt is kept.
//! 5. **Failures say whether anything happened.** [`StoreError::Unavailable`]
//!    only when the operation certainly did not run (nothing was sent);
//!    [`StoreError::Indeterminate`] when it may have (sent, no answer). Never
//!    re-send an operation that may have reached the server: if the first
//!    take ran, the second answers "not found" and the secret is lost without
//!    anyone seeing it; if a wrong-passphrase take ran twice it counted twice.
//! 6. **Errors carry no input.** Wrap the backend's error as the source; it is
//!    shown in messages and logs, so it must not contain envelopes or proofs.
//! 7. **Verifiers are compared, never proofs stored.** Compare the verifier
//!    of the presented proof (`proof.verifier()`) with the stored one.
//!
//! What the suite needs from a backend: a store value per case (it may share
//! one server between cases, since cases use fresh random ids), accepting
//! lifetimes of at least ten minutes. The suite wraps the store in an
//! [`Arc`] itself for its racing tasks, so the store need not be `Clone`. A
//! store that keeps time with `tokio::time::Instant` can run the timed cases
//! on a paused clock; a server runs them in real time (`sleep:
//! tokio::time::sleep` either way, about five seconds in all).
//!
//! A complete backend (this is `tests/guide/map_store.rs`, compiled here and
//! in this crate's tests):
//!
//! ```
#![doc = include_str!("../../tests/guide/map_store.rs")]
//! ```
//!
//! and its tests, `tests/guide.rs` in this crate, which runs every case of
//! the suite against it:
//!
//! ```text
//! oneshot_core::conformance_suite! {
//!     test: #[tokio::test(flavor = "multi_thread", worker_threads = 4)],
//!     expiry_test: #[tokio::test(start_paused = true)],
//!     store: async { ((), MapStore::default()) },
//!     sleep: tokio::time::sleep,
//! }
//! ```
//!
//! Pointers to it work too: [`SecretStore`] is implemented for `Arc<S>`,
//! `Box<S>` and `&'static S`, with `S: ?Sized`, so an `Arc<dyn SecretStore>`
//! is a store.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::guard::{PassphraseProof, ReceiptClaim};
use crate::id::SecretId;

mod check;
mod error;
mod guards;
mod outcome;

pub use check::{LONGEST_KEEP, check_put};
pub use error::{BoxError, StoreError};
pub use guards::{Guards, PassphraseGuard, ReceiptGuard};
pub use outcome::{BurnOutcome, BurnReason, Receipt, ReceiptState, TakeOutcome};

/// A read-once store of opaque envelopes with a lifetime.
///
/// Implementations never see keys, passphrases or plaintext; they keep
/// envelopes and verifiers. The contract, checked by the `testkit`
/// conformance suite:
///
/// - **Occupied ids.** An id is occupied while its secret is live, while it
///   is *spent* (taken, burned, or destroyed by wrong passphrases: for at
///   least the store's longest accepted lifetime after that, so that whoever
///   took a secret cannot create another under the same link), and while a
///   receipt for it is kept. `put_with_ttl` on an occupied id is
///   [`StoreError::AlreadyExists`] and changes nothing. An id whose secret
///   expired unread, without a receipt, is free again.
/// - **Lifetimes.** A TTL under 1 ms, or above the store's longest accepted
///   lifetime, is [`StoreError::InvalidTtl`]. Expired secrets are never
///   returned, purged or not.
/// - **At most once.** Of any number of concurrent takes (and burns) of one
///   id, at most one gets the envelope, and it is gone in the same atomic
///   step. Everything about one secret (its envelope, attempt count, spent
///   marker and receipt) changes in one atomic step per operation.
/// - **Guarded takes.** A secret created with a [`PassphraseGuard`] is taken
///   only with a proof whose verifier matches (compared in the store, in the
///   same step as the removal). No proof: [`TakeOutcome::PassphraseRequired`],
///   nothing counted. A wrong proof counts one attempt and leaves the secret
///   takeable; the last allowed one destroys it (`attempts_left: 0`). A proof
///   given for a secret without a guard is ignored.
/// - **Receipts.** A secret created with a [`ReceiptGuard`] keeps its story
///   until its expiry plus the retention. `receipt` and `burn` answer only a
///   claim whose verifier matches; an unknown id and a wrong claim both give
///   `None` and change nothing. Transitions to read or burned are recorded in
///   the same step as the take or burn, so a receipt never says `Pending` for
///   a secret that is gone, nor `Read` for one that was not.
/// - **Failures say whether anything happened**: see [`StoreError`].
///   Never re-send an operation that may have reached the server.
/// - An empty envelope is refused ([`StoreError::EmptyEnvelope`]): stores may
///   use an empty value as their spent marker.
#[async_trait]
pub trait SecretStore: Send + Sync + std::fmt::Debug + 'static {
    /// Stores `envelope` under `id` for `ttl`, with `guards`, unless `id` is occupied.
    async fn put_with_ttl(
        &self,
        id: &SecretId,
        envelope: &[u8],
        ttl: Duration,
        guards: &Guards,
    ) -> Result<(), StoreError>;

    /// Removes and returns the envelope under `id`, if present, unexpired,
    /// and either unguarded or guarded by the passphrase that `proof` shows.
    /// Spends the id.
    async fn take(
        &self,
        id: &SecretId,
        proof: Option<&PassphraseProof>,
    ) -> Result<TakeOutcome, StoreError>;

    /// The story of the secret under `id`, if it was created with a receipt
    /// that `claim` matches and the receipt is still kept.
    async fn receipt(
        &self,
        id: &SecretId,
        claim: &ReceiptClaim,
    ) -> Result<Option<Receipt>, StoreError>;

    /// Destroys the secret under `id` if it is unread and `claim` matches its
    /// receipt (the id is then spent), or says what prevented it. `None` for
    /// an unknown id, a wrong claim or a secret without a receipt.
    async fn burn(
        &self,
        id: &SecretId,
        claim: &ReceiptClaim,
    ) -> Result<Option<BurnOutcome>, StoreError>;
}

// Every trait method is forwarded here. The trait gives no method a default
// body, so a method added to the trait and forgotten here fails to compile
// instead of silently running a default behind a pointer.
macro_rules! forward_store {
    ($($ptr:ty),+) => {$(
        #[async_trait]
        impl<S: SecretStore + ?Sized> SecretStore for $ptr {
            async fn put_with_ttl(
                &self,
                id: &SecretId,
                envelope: &[u8],
                ttl: Duration,
                guards: &Guards,
            ) -> Result<(), StoreError> {
                (**self).put_with_ttl(id, envelope, ttl, guards).await
            }

            async fn take(
                &self,
                id: &SecretId,
                proof: Option<&PassphraseProof>,
            ) -> Result<TakeOutcome, StoreError> {
                (**self).take(id, proof).await
            }

            async fn receipt(
                &self,
                id: &SecretId,
                claim: &ReceiptClaim,
            ) -> Result<Option<Receipt>, StoreError> {
                (**self).receipt(id, claim).await
            }

            async fn burn(
                &self,
                id: &SecretId,
                claim: &ReceiptClaim,
            ) -> Result<Option<BurnOutcome>, StoreError> {
                (**self).burn(id, claim).await
            }
        }
    )+};
}

forward_store!(Arc<S>, Box<S>, &'static S);

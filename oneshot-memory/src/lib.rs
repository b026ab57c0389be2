//! # oneshot-memory
//!
//! [`MemoryStore`], an in-process [`SecretStore`]: a mutex-guarded map with an
//! expiry index and capacity limits. It keeps everything in this process's
//! memory, so it suits tests, single-process applications and the examples'
//! default; secrets do not survive a restart and are not shared between
//! processes.
//!
//! - Every operation on one id happens under the lock, so it is one atomic
//!   step: of any number of concurrent takers exactly one gets a secret, a
//!   guarded take compares the proof and counts the attempt in the same
//!   step, and a receipt records the transition with it.
//! - Taken, burned and destroyed ids stay spent for the store's longest
//!   lifetime ([`MemoryStoreBuilder::max_ttl`], 72 h by default); receipts
//!   are kept for their retention past expiry. Both occupy an entry.
//! - Expiry uses [`tokio::time::Instant`], so tests can run on a paused clock;
//!   receipts report wall-clock times derived from it. Expired entries are
//!   never returned, and are freed by every `put` and `take` (which pop them
//!   off the deadline index in order: O(expired · log n), never a scan) and by
//!   the optional purger task ([`MemoryStore::spawn_purger`]). An expired
//!   envelope is freed at its expiry even while its receipt is kept.
//! - Limits on entries (live secrets, spent markers and kept receipts) and on
//!   envelope bytes give [`StoreError::CapacityExceeded`] and leave existing
//!   secrets alone.
//! - The lock is never held across an `.await`.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), oneshot_core::StoreError> {
//! use std::time::Duration;
//! use oneshot_core::store::{Guards, TakeOutcome};
//! use oneshot_core::{SecretId, SecretStore};
//! use oneshot_memory::MemoryStore;
//!
//! let store = MemoryStore::builder().max_entries(10_000).max_bytes(64 << 20).build();
//! let id = SecretId::from_bytes([7; 16]);
//! store.put_with_ttl(&id, b"envelope", Duration::from_secs(60), &Guards::NONE).await?;
//! assert_eq!(store.take(&id, None).await?, TakeOutcome::Taken(b"envelope".to_vec()));
//! assert_eq!(store.take(&id, None).await?, TakeOutcome::NotFound);
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::print_stdout,
        clippy::print_stderr
    )
)]

mod state;

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use async_trait::async_trait;
use oneshot_core::store::{BurnOutcome, Guards, Receipt, TakeOutcome, check_put};
use oneshot_core::{PassphraseProof, ReceiptClaim, SecretId, SecretStore, StoreError};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use state::{Clock, PutRefused, State};

/// Default limit on stored secrets.
pub const DEFAULT_MAX_ENTRIES: usize = 1_000_000;
/// Default limit on stored envelope bytes (1 GiB).
pub const DEFAULT_MAX_BYTES: usize = 1 << 30;
/// Default longest lifetime accepted, which is also how long a spent id stays spent.
pub const DEFAULT_MAX_TTL: Duration = Duration::from_secs(72 * 3600);

/// An in-process read-once store. Cheap to clone: clones share one map.
#[derive(Clone)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    max_entries: usize,
    max_bytes: usize,
    max_ttl: Duration,
}

/// Builds a [`MemoryStore`] with limits.
#[derive(Debug, Clone)]
pub struct MemoryStoreBuilder {
    max_entries: usize,
    max_bytes: usize,
    max_ttl: Duration,
}

/// What a [`MemoryStore`] holds right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct MemoryStats {
    /// Entries held: live secrets, spent ids and kept receipts, including
    /// expired ones not yet purged.
    pub entries: usize,
    /// Of those, secrets that still hold an envelope.
    pub live: usize,
    /// Sum of their envelope lengths.
    pub bytes: usize,
    /// Slots the map has allocated (it shrinks after a flood drains).
    pub capacity: usize,
}

/// [`MemoryStore::spawn_purger`] was called outside a tokio runtime.
#[derive(Debug, thiserror::Error)]
#[error("the purger needs a tokio runtime")]
pub struct NoRuntime(#[source] tokio::runtime::TryCurrentError);

impl MemoryStoreBuilder {
    /// Limits the number of entries: live secrets, spent ids and kept receipts.
    #[must_use]
    pub fn max_entries(mut self, max: usize) -> Self {
        self.max_entries = max;
        self
    }

    /// Limits the total envelope bytes stored.
    #[must_use]
    pub fn max_bytes(mut self, max: usize) -> Self {
        self.max_bytes = max;
        self
    }

    /// The longest lifetime accepted (longer is `InvalidTtl`), which is also
    /// how long a taken, burned or destroyed id stays spent. Set it to at
    /// least the longest lifetime your policy allows.
    #[must_use]
    pub fn max_ttl(mut self, max: Duration) -> Self {
        // Beyond a century, `Instant` arithmetic could overflow; nothing needs more.
        self.max_ttl = max.min(oneshot_core::store::LONGEST_KEEP);
        self
    }

    /// The store.
    pub fn build(self) -> MemoryStore {
        MemoryStore {
            inner: Arc::new(Inner {
                state: Mutex::new(State::new(Clock::new())),
                max_entries: self.max_entries,
                max_bytes: self.max_bytes,
                max_ttl: self.max_ttl,
            }),
        }
    }
}

impl Default for MemoryStoreBuilder {
    fn default() -> Self {
        Self {
            max_entries: DEFAULT_MAX_ENTRIES,
            max_bytes: DEFAULT_MAX_BYTES,
            max_ttl: DEFAULT_MAX_TTL,
        }
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    /// A store with the default limits ([`DEFAULT_MAX_ENTRIES`], [`DEFAULT_MAX_BYTES`]).
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// A builder for limits.
    pub fn builder() -> MemoryStoreBuilder {
        MemoryStoreBuilder::default()
    }

    /// Current contents, for monitoring and tests.
    pub fn stats(&self) -> MemoryStats {
        let state = self.inner.lock();
        MemoryStats {
            entries: state.len(),
            live: state.live(),
            bytes: state.bytes(),
            capacity: state.capacity(),
        }
    }

    /// Frees every expired envelope and every entry past its keep time now;
    /// returns how many entries were freed.
    pub fn purge_expired(&self) -> usize {
        self.inner.lock().purge(Instant::now())
    }

    /// Starts a task that calls [`purge_expired`](Self::purge_expired) every
    /// `interval`. The task holds only a weak reference and ends by itself once
    /// the last clone of the store is dropped; the handle may be dropped.
    pub fn spawn_purger(&self, interval: Duration) -> Result<JoinHandle<()>, NoRuntime> {
        let runtime = tokio::runtime::Handle::try_current().map_err(NoRuntime)?;
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        let interval = interval.max(Duration::from_millis(1));
        Ok(runtime.spawn(async move {
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                let Some(inner) = weak.upgrade() else { break };
                inner.lock().purge(Instant::now());
            }
        }))
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // `State` does no unchecked arithmetic on times and no indexing, so a
        // panic under the lock can only come from outside it (the allocator).
        // Even then read-once holds: an envelope is only ever moved out of
        // its slot, never copied, so a poisoned lock is still safe to use.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stats = self.stats();
        f.debug_struct("MemoryStore")
            .field("entries", &stats.entries)
            .field("bytes", &stats.bytes)
            .field("max_entries", &self.inner.max_entries)
            .field("max_bytes", &self.inner.max_bytes)
            .finish()
    }
}

#[async_trait]
impl SecretStore for MemoryStore {
    async fn put_with_ttl(
        &self,
        id: &SecretId,
        envelope: &[u8],
        ttl: Duration,
        guards: &Guards,
    ) -> Result<(), StoreError> {
        check_put(envelope, ttl, guards, self.inner.max_ttl)?;
        let now = Instant::now();
        // Copy outside the lock so large envelopes do not hold up other callers.
        let envelope = envelope.to_vec();
        let limits = (self.inner.max_entries, self.inner.max_bytes);
        match self
            .inner
            .lock()
            .put(*id, envelope, now, ttl, guards, limits)
        {
            Ok(()) => Ok(()),
            Err(PutRefused::Occupied) => Err(StoreError::AlreadyExists),
            Err(PutRefused::Full) => Err(StoreError::CapacityExceeded),
            Err(PutRefused::Unrepresentable) => Err(StoreError::InvalidTtl),
        }
    }

    async fn take(
        &self,
        id: &SecretId,
        proof: Option<&PassphraseProof>,
    ) -> Result<TakeOutcome, StoreError> {
        let now = Instant::now();
        Ok(self.inner.lock().take(id, proof, now, self.inner.max_ttl))
    }

    async fn receipt(
        &self,
        id: &SecretId,
        claim: &ReceiptClaim,
    ) -> Result<Option<Receipt>, StoreError> {
        Ok(self.inner.lock().receipt(id, claim, Instant::now()))
    }

    async fn burn(
        &self,
        id: &SecretId,
        claim: &ReceiptClaim,
    ) -> Result<Option<BurnOutcome>, StoreError> {
        let now = Instant::now();
        let burned = self.inner.lock().burn(id, claim, now, self.inner.max_ttl);
        Ok(burned.map(|(receipt, burned)| {
            if burned {
                BurnOutcome::Burned(receipt)
            } else {
                BurnOutcome::Refused(receipt)
            }
        }))
    }
}

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

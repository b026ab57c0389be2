//! # oneshot-memory
//!
//! [`MemoryStore`], an in-process [`SecretStore`]: a mutex-guarded map with an
//! expiry index and capacity limits. It keeps everything in this process's
//! memory, so it suits tests, single-process applications and the examples'
//! default; secrets do not survive a restart and are not shared between
//! processes.
//!
//! - `take` removes the entry under the lock, so of any number of concurrent
//!   takers exactly one gets it.
//! - Expiry uses [`tokio::time::Instant`], so tests can run on a paused clock.
//!   Expired entries are never returned, and are freed by every `put` (which
//!   pops them off the expiry index in deadline order: O(expired · log n), never
//!   a scan) and by the optional purger task ([`MemoryStore::spawn_purger`]).
//! - Limits on entries and bytes give [`StoreError::CapacityExceeded`] and
//!   leave existing secrets alone.
//! - The lock is never held across an `.await`.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), oneshot_core::StoreError> {
//! use std::time::Duration;
//! use oneshot_core::{SecretId, SecretStore};
//! use oneshot_memory::MemoryStore;
//!
//! let store = MemoryStore::builder().max_entries(10_000).max_bytes(64 << 20).build();
//! let id = SecretId::from_bytes([7; 16]);
//! store.put_with_ttl(&id, b"envelope", Duration::from_secs(60)).await?;
//! assert_eq!(store.take(&id).await?.as_deref(), Some(&b"envelope"[..]));
//! assert_eq!(store.take(&id).await?, None);
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
use oneshot_core::{SecretId, SecretStore, StoreError};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use state::State;

/// Default limit on stored secrets.
pub const DEFAULT_MAX_ENTRIES: usize = 1_000_000;
/// Default limit on stored envelope bytes (1 GiB).
pub const DEFAULT_MAX_BYTES: usize = 1 << 30;

/// An in-process read-once store. Cheap to clone: clones share one map.
#[derive(Clone)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    max_entries: usize,
    max_bytes: usize,
}

/// Builds a [`MemoryStore`] with limits.
#[derive(Debug, Clone)]
pub struct MemoryStoreBuilder {
    max_entries: usize,
    max_bytes: usize,
}

/// What a [`MemoryStore`] holds right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct MemoryStats {
    /// Stored secrets, including expired ones not yet purged.
    pub entries: usize,
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
    /// Limits the number of stored secrets.
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

    /// The store.
    pub fn build(self) -> MemoryStore {
        MemoryStore {
            inner: Arc::new(Inner {
                state: Mutex::new(State::default()),
                max_entries: self.max_entries,
                max_bytes: self.max_bytes,
            }),
        }
    }
}

impl Default for MemoryStoreBuilder {
    fn default() -> Self {
        Self {
            max_entries: DEFAULT_MAX_ENTRIES,
            max_bytes: DEFAULT_MAX_BYTES,
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
            bytes: state.bytes(),
            capacity: state.capacity(),
        }
    }

    /// Frees every expired entry now; returns how many were freed.
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
        // A panic while holding the lock cannot leave the map half-updated in a
        // way that breaks read-once (every mutation is a single insert or
        // remove), so a poisoned lock is still safe to use.
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
    ) -> Result<(), StoreError> {
        if ttl < Duration::from_millis(1) {
            return Err(StoreError::InvalidTtl);
        }
        let now = Instant::now();
        let expires_at = now.checked_add(ttl).ok_or(StoreError::InvalidTtl)?;
        // Copy outside the lock so large envelopes do not hold up other callers.
        let envelope = envelope.to_vec();
        let mut state = self.inner.lock();
        state.purge(now);
        if state.contains(id) {
            return Err(StoreError::AlreadyExists);
        }
        if state.len() >= self.inner.max_entries
            || state.bytes().saturating_add(envelope.len()) > self.inner.max_bytes
        {
            return Err(StoreError::CapacityExceeded);
        }
        state.insert(*id, envelope, expires_at);
        Ok(())
    }

    async fn take(&self, id: &SecretId) -> Result<Option<Vec<u8>>, StoreError> {
        let now = Instant::now();
        let taken = self.inner.lock().remove(id);
        Ok(taken.and_then(|(envelope, expires_at)| (expires_at > now).then_some(envelope)))
    }
}

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

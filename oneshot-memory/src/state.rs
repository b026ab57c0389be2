//! The map and its expiry index, always updated together under one lock.

use std::collections::{BTreeSet, HashMap};

use oneshot_core::SecretId;
use tokio::time::Instant;

struct Entry {
    envelope: Vec<u8>,
    expires_at: Instant,
}

#[derive(Default)]
pub(crate) struct State {
    entries: HashMap<SecretId, Entry>,
    /// Ordered by deadline so purging pops only what has expired.
    expiry: BTreeSet<(Instant, SecretId)>,
    bytes: usize,
}

impl State {
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    pub(crate) fn capacity(&self) -> usize {
        self.entries.capacity()
    }

    pub(crate) fn contains(&self, id: &SecretId) -> bool {
        self.entries.contains_key(id)
    }

    pub(crate) fn insert(&mut self, id: SecretId, envelope: Vec<u8>, expires_at: Instant) {
        self.bytes += envelope.len();
        self.expiry.insert((expires_at, id));
        if let Some(old) = self.entries.insert(
            id,
            Entry {
                envelope,
                expires_at,
            },
        ) {
            // Callers check `contains` first; keep the books right regardless.
            self.bytes -= old.envelope.len();
            self.expiry.remove(&(old.expires_at, id));
        }
    }

    /// Removes an entry whatever its deadline; the caller decides if it counts.
    pub(crate) fn remove(&mut self, id: &SecretId) -> Option<(Vec<u8>, Instant)> {
        let entry = self.entries.remove(id)?;
        self.expiry.remove(&(entry.expires_at, *id));
        self.bytes -= entry.envelope.len();
        self.shrink_if_sparse();
        Some((entry.envelope, entry.expires_at))
    }

    /// Frees every entry whose deadline is at or before `now`.
    pub(crate) fn purge(&mut self, now: Instant) -> usize {
        let mut freed = 0;
        while let Some(&(deadline, id)) = self.expiry.first() {
            if deadline > now {
                break;
            }
            self.expiry.pop_first();
            if let Some(entry) = self.entries.remove(&id) {
                self.bytes -= entry.envelope.len();
                freed += 1;
            }
        }
        if freed > 0 {
            self.shrink_if_sparse();
        }
        freed
    }

    /// Gives memory back after a flood drains, without shrinking on every remove.
    fn shrink_if_sparse(&mut self) {
        let capacity = self.entries.capacity();
        if capacity > 1024 && self.entries.len() < capacity / 4 {
            self.entries.shrink_to(self.entries.len() * 2);
        }
    }
}

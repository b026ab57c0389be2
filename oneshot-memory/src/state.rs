//! The map, its deadline index and its byte count, always updated together
//! under one lock; and every transition of the store contract on them.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, SystemTime};

use oneshot_core::store::{BurnReason, Guards, Receipt, ReceiptState, TakeOutcome};
use oneshot_core::{PassphraseProof, PassphraseVerifier, ReceiptClaim, ReceiptVerifier, SecretId};
use tokio::time::Instant;

/// One id's slot: a live secret, or what is kept after it (a spent marker,
/// a receipt's story).
struct Slot {
    /// The envelope while the secret is live; `None` once taken, burned,
    /// destroyed or expired.
    envelope: Option<Vec<u8>>,
    expires_at: Instant,
    /// The slot, and so the id, is kept until then: the end of a receipt's
    /// retention, or the spent period after a take.
    keep_until: Instant,
    /// Boxed so that a plain secret's slot stays small.
    extra: Option<Box<Extra>>,
}

struct Extra {
    passphrase: Option<(PassphraseVerifier, u32)>,
    story: Option<Story>,
}

struct Story {
    verifier: ReceiptVerifier,
    /// Set when the secret was taken or destroyed; unset means pending or expired.
    ended: Option<ReceiptState>,
    failed_attempts: u32,
}

impl Slot {
    /// The deadline the index files this slot under: when its envelope
    /// expires while it has one, else when the slot itself goes.
    fn deadline(&self) -> Instant {
        if self.envelope.is_some() {
            self.expires_at
        } else {
            self.keep_until
        }
    }

    fn story_mut(&mut self) -> Option<&mut Story> {
        self.extra.as_mut().and_then(|e| e.story.as_mut())
    }
}

/// Maps the store's clock (tokio's, so tests may pause it) to wall-clock
/// times for receipts: one reading of both at start, then offsets.
#[derive(Clone, Copy)]
pub(crate) struct Clock {
    instant: Instant,
    system: SystemTime,
}

impl Clock {
    pub(crate) fn new() -> Self {
        Self {
            instant: Instant::now(),
            system: SystemTime::now(),
        }
    }

    pub(crate) fn wall(&self, at: Instant) -> SystemTime {
        self.system + at.saturating_duration_since(self.instant)
    }
}

pub(crate) struct State {
    slots: HashMap<SecretId, Slot>,
    /// Ordered by deadline so purging pops only what is due.
    deadlines: BTreeSet<(Instant, SecretId)>,
    /// Sum of the envelopes held.
    bytes: usize,
    clock: Clock,
}

/// Why a put was refused (the caller maps it to a `StoreError`).
pub(crate) enum PutRefused {
    Occupied,
    Full,
    /// The lifetime plus the retention is past what `Instant` can hold.
    Unrepresentable,
}

impl State {
    pub(crate) fn new(clock: Clock) -> Self {
        Self {
            slots: HashMap::new(),
            deadlines: BTreeSet::new(),
            bytes: 0,
            clock,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    pub(crate) fn live(&self) -> usize {
        self.slots.values().filter(|s| s.envelope.is_some()).count()
    }

    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    pub(crate) fn capacity(&self) -> usize {
        self.slots.capacity()
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn put(
        &mut self,
        id: SecretId,
        envelope: Vec<u8>,
        now: Instant,
        ttl: Duration,
        guards: &Guards,
        limits: (usize, usize),
    ) -> Result<(), PutRefused> {
        self.purge(now);
        if self.slots.contains_key(&id) {
            return Err(PutRefused::Occupied);
        }
        let (max_entries, max_bytes) = limits;
        if self.slots.len() >= max_entries || self.bytes.saturating_add(envelope.len()) > max_bytes
        {
            return Err(PutRefused::Full);
        }
        let retention = guards.receipt().map_or(Duration::ZERO, |r| r.retention);
        let (Some(expires_at), Some(keep_until)) = (
            now.checked_add(ttl),
            now.checked_add(ttl.saturating_add(retention)),
        ) else {
            return Err(PutRefused::Unrepresentable);
        };
        let extra = (!guards.is_none()).then(|| {
            Box::new(Extra {
                passphrase: guards.passphrase().map(|g| (g.verifier, g.attempts.get())),
                story: guards.receipt().map(|r| Story {
                    verifier: r.verifier,
                    ended: None,
                    failed_attempts: 0,
                }),
            })
        });
        self.bytes += envelope.len();
        let slot = Slot {
            envelope: Some(envelope),
            expires_at,
            keep_until,
            extra,
        };
        self.deadlines.insert((slot.deadline(), id));
        self.slots.insert(id, slot);
        Ok(())
    }

    pub(crate) fn take(
        &mut self,
        id: &SecretId,
        proof: Option<&PassphraseProof>,
        now: Instant,
        spent_for: Duration,
    ) -> TakeOutcome {
        // Frees an expired envelope now rather than at the next put.
        self.purge(now);
        let Some(slot) = self.slots.get_mut(id) else {
            return TakeOutcome::NotFound;
        };
        if slot.envelope.is_none() || slot.expires_at <= now {
            return TakeOutcome::NotFound;
        }
        let at = self.clock.wall(now);
        if let Some(extra) = slot.extra.as_deref_mut()
            && let Some((verifier, attempts_left)) = &mut extra.passphrase
        {
            let Some(proof) = proof else {
                return TakeOutcome::PassphraseRequired;
            };
            if proof.verifier() != *verifier {
                *attempts_left = attempts_left.saturating_sub(1);
                let attempts_left = *attempts_left;
                if let Some(story) = &mut extra.story {
                    story.failed_attempts += 1;
                }
                if attempts_left == 0 {
                    let reason = BurnReason::PassphraseAttempts;
                    self.end(id, now, spent_for, ReceiptState::Burned { at, reason });
                }
                return TakeOutcome::WrongPassphrase { attempts_left };
            }
        }
        match self.end(id, now, spent_for, ReceiptState::Read { at }) {
            Some(envelope) => TakeOutcome::Taken(envelope),
            None => TakeOutcome::NotFound,
        }
    }

    pub(crate) fn receipt(
        &self,
        id: &SecretId,
        claim: &ReceiptClaim,
        now: Instant,
    ) -> Option<Receipt> {
        let slot = self.slots.get(id).filter(|s| s.keep_until > now)?;
        let story = slot.extra.as_ref()?.story.as_ref()?;
        if story.verifier != claim.verifier() {
            return None;
        }
        let state = match story.ended {
            Some(ended) => ended,
            None if slot.expires_at > now => ReceiptState::Pending,
            None => ReceiptState::Expired,
        };
        Some(Receipt::new(
            state,
            self.clock.wall(slot.expires_at),
            story.failed_attempts,
        ))
    }

    /// Burns a pending secret; returns the receipt after the attempt and
    /// whether it burned.
    pub(crate) fn burn(
        &mut self,
        id: &SecretId,
        claim: &ReceiptClaim,
        now: Instant,
        spent_for: Duration,
    ) -> Option<(Receipt, bool)> {
        let receipt = self.receipt(id, claim, now)?;
        if receipt.state != ReceiptState::Pending {
            return Some((receipt, false));
        }
        let burned = ReceiptState::Burned {
            at: self.clock.wall(now),
            reason: BurnReason::Sender,
        };
        self.end(id, now, spent_for, burned);
        Some((
            Receipt {
                state: burned,
                ..receipt
            },
            true,
        ))
    }

    /// Ends a live secret: drops its envelope, records `state` in its story,
    /// and keeps the id spent for `spent_for`. Returns the envelope.
    fn end(
        &mut self,
        id: &SecretId,
        now: Instant,
        spent_for: Duration,
        state: ReceiptState,
    ) -> Option<Vec<u8>> {
        let slot = self.slots.get_mut(id)?;
        self.deadlines.remove(&(slot.deadline(), *id));
        let envelope = slot.envelope.take();
        if let Some(envelope) = &envelope {
            self.bytes -= envelope.len();
        }
        // `spent_for` is capped by the builder, so this only saturates in theory.
        let spent_until = now.checked_add(spent_for).unwrap_or(slot.keep_until);
        slot.keep_until = slot.keep_until.max(spent_until);
        if let Some(extra) = slot.extra.as_deref_mut() {
            // The verifier is no use any more; the story is.
            extra.passphrase = None;
        }
        if let Some(story) = slot.story_mut() {
            story.ended = Some(state);
        }
        self.deadlines.insert((slot.deadline(), *id));
        envelope
    }

    /// Frees what is due at or before `now`: envelopes that expired (their
    /// slot stays while a receipt is kept) and slots past their keep time.
    pub(crate) fn purge(&mut self, now: Instant) -> usize {
        let mut freed = 0;
        while let Some(&(deadline, id)) = self.deadlines.first() {
            if deadline > now {
                break;
            }
            self.deadlines.pop_first();
            let Some(slot) = self.slots.get_mut(&id) else {
                continue;
            };
            if let Some(envelope) = slot.envelope.take() {
                self.bytes -= envelope.len();
            }
            if slot.keep_until > now {
                self.deadlines.insert((slot.keep_until, id));
            } else {
                self.slots.remove(&id);
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
        let capacity = self.slots.capacity();
        if capacity > 1024 && self.slots.len() < capacity / 4 {
            self.slots.shrink_to(self.slots.len() * 2);
        }
    }
}

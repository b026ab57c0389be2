use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use oneshot_core::store::{
    BurnOutcome, BurnReason, Guards, Receipt, ReceiptState, SecretStore, StoreError, TakeOutcome,
    check_put,
};
use oneshot_core::{PassphraseProof, PassphraseVerifier, ReceiptClaim, ReceiptVerifier, SecretId};
use tokio::time::Instant;

/// The longest lifetime this store accepts, and so how long a spent id stays spent.
const MAX_TTL: Duration = Duration::from_secs(72 * 3600);

/// A read-once map. Everything about one id changes under one lock, which is
/// what makes each operation one atomic step.
#[derive(Debug, Default)]
pub struct MapStore {
    state: Mutex<HashMap<SecretId, Slot>>,
}

#[derive(Debug)]
struct Slot {
    /// The envelope, until it is taken, burned or destroyed.
    envelope: Option<Vec<u8>>,
    expires_at: Instant,
    /// Spent ids are kept until then, so a taken link cannot be re-created.
    keep_until: Instant,
    passphrase: Option<(PassphraseVerifier, u32)>,
    receipt: Option<Story>,
}

#[derive(Debug)]
struct Story {
    verifier: ReceiptVerifier,
    /// The wall-clock expiry that receipts report.
    expires_at: SystemTime,
    ended: Option<ReceiptState>,
    failed_attempts: u32,
}

impl Slot {
    fn is_live(&self, now: Instant) -> bool {
        self.envelope.is_some() && self.expires_at > now
    }

    /// Ends the secret: no envelope, and the id spent for `MAX_TTL`.
    fn end(&mut self, now: Instant, state: ReceiptState) {
        self.envelope = None;
        self.keep_until = self.keep_until.max(now + MAX_TTL);
        if let Some(story) = &mut self.receipt {
            story.ended = Some(state);
        }
    }

    fn receipt(&self, now: Instant, claim: &ReceiptClaim) -> Option<Receipt> {
        let story = self
            .receipt
            .as_ref()
            .filter(|s| s.verifier == claim.verifier())?;
        let state = match story.ended {
            Some(ended) => ended,
            None if self.expires_at > now => ReceiptState::Pending,
            None => ReceiptState::Expired,
        };
        Some(Receipt::new(state, story.expires_at, story.failed_attempts))
    }
}

impl MapStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SecretId, Slot>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait::async_trait]
impl SecretStore for MapStore {
    async fn put_with_ttl(
        &self,
        id: &SecretId,
        envelope: &[u8],
        ttl: Duration,
        guards: &Guards,
    ) -> Result<(), StoreError> {
        // A TTL under 1 ms or over MAX_TTL, an empty envelope: refused.
        check_put(envelope, ttl, guards, MAX_TTL)?;
        let now = Instant::now();
        let mut state = self.lock();
        // Occupied: live, spent, or its receipt still kept.
        if state.get(id).is_some_and(|slot| slot.keep_until > now) {
            return Err(StoreError::AlreadyExists);
        }
        let retention = guards.receipt().map_or(Duration::ZERO, |r| r.retention);
        state.insert(
            *id,
            Slot {
                envelope: Some(envelope.to_vec()),
                expires_at: now + ttl,
                keep_until: now + ttl + retention,
                passphrase: guards.passphrase().map(|g| (g.verifier, g.attempts.get())),
                receipt: guards.receipt().map(|r| Story {
                    verifier: r.verifier,
                    expires_at: SystemTime::now() + ttl,
                    ended: None,
                    failed_attempts: 0,
                }),
            },
        );
        Ok(())
    }

    async fn take(
        &self,
        id: &SecretId,
        proof: Option<&PassphraseProof>,
    ) -> Result<TakeOutcome, StoreError> {
        let now = Instant::now();
        let mut state = self.lock();
        let Some(slot) = state.get_mut(id).filter(|slot| slot.is_live(now)) else {
            return Ok(TakeOutcome::NotFound);
        };
        if let Some((verifier, attempts_left)) = &mut slot.passphrase {
            let Some(proof) = proof else {
                return Ok(TakeOutcome::PassphraseRequired);
            };
            if proof.verifier() != *verifier {
                *attempts_left -= 1;
                let attempts_left = *attempts_left;
                if let Some(story) = &mut slot.receipt {
                    story.failed_attempts += 1;
                }
                if attempts_left == 0 {
                    let reason = BurnReason::PassphraseAttempts;
                    slot.end(
                        now,
                        ReceiptState::Burned {
                            at: SystemTime::now(),
                            reason,
                        },
                    );
                }
                return Ok(TakeOutcome::WrongPassphrase { attempts_left });
            }
        }
        let envelope = slot.envelope.take().unwrap_or_default();
        slot.end(
            now,
            ReceiptState::Read {
                at: SystemTime::now(),
            },
        );
        Ok(TakeOutcome::Taken(envelope))
    }

    async fn receipt(
        &self,
        id: &SecretId,
        claim: &ReceiptClaim,
    ) -> Result<Option<Receipt>, StoreError> {
        let now = Instant::now();
        let state = self.lock();
        Ok(state
            .get(id)
            .filter(|slot| slot.keep_until > now)
            .and_then(|slot| slot.receipt(now, claim)))
    }

    async fn burn(
        &self,
        id: &SecretId,
        claim: &ReceiptClaim,
    ) -> Result<Option<BurnOutcome>, StoreError> {
        let now = Instant::now();
        let mut state = self.lock();
        let Some(slot) = state.get_mut(id).filter(|slot| slot.keep_until > now) else {
            return Ok(None);
        };
        let Some(receipt) = slot.receipt(now, claim) else {
            return Ok(None);
        };
        if receipt.state != ReceiptState::Pending {
            return Ok(Some(BurnOutcome::Refused(receipt)));
        }
        let burned = ReceiptState::Burned {
            at: SystemTime::now(),
            reason: BurnReason::Sender,
        };
        slot.end(now, burned);
        Ok(Some(BurnOutcome::Burned(Receipt {
            state: burned,
            ..receipt
        })))
    }
}

// A real store also frees slots once `keep_until` has passed (see
// `oneshot-memory`); this one keeps them, which only costs memory.

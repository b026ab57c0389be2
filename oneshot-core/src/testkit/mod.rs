//! The conformance suite every [`SecretStore`] backend runs against itself.
//!
//! Each case is a public async function that panics, naming what broke, when the
//! store breaks the contract. A backend's test file runs them all with
//! [`conformance_suite!`](crate::conformance_suite), one `#[tokio::test]` per
//! case, so a failure names its case:
//!
//! ```text
//! oneshot_core::conformance_suite! {
//!     test: #[tokio::test(flavor = "multi_thread", worker_threads = 4)],
//!     expiry_test: #[tokio::test(start_paused = true)],
//!     store: async { ((), MemoryStore::new()) },
//!     sleep: tokio::time::sleep,
//! }
//! ```
//!
//! `store` is evaluated once per case and yields `(guard, store)`; the guard
//! (a spawned server, say) lives until the case ends. Cases use fresh random
//! ids, so they may share one server. The store need not be `Clone`: the
//! racing cases put it in an `Arc` themselves. The [`store` module
//! docs](crate::store) have a complete example backend with this call.
//!
//! Three cases need time to pass ([`expiry`], [`spent_outlives_the_lifetime`],
//! [`receipt_expiry_and_retention`]); they run under `expiry_test` with the
//! given `sleep`. Their lifetimes are [`SHORT_TTL`] (one second), so a server
//! runs them in real time in about five seconds (they run concurrently).
//!
//! [`every_id_exactly_once`] puts 8,000 takes in flight at once. A networked
//! backend should run the suite with response timeouts well above its
//! production defaults (seconds, not milliseconds): on a loaded machine with a
//! debug build, the last of 8,000 queued replies can take longer than 500 ms,
//! and a timeout there is a correct `Indeterminate`, not a contract breach.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod fault_load;

use std::future::Future;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use tokio::sync::Barrier;

use crate::guard::{PassphraseProof, ReceiptClaim};
use crate::random::fill_random;
use crate::store::{
    BurnOutcome, BurnReason, Guards, Receipt, ReceiptState, SecretStore, StoreError, TakeOutcome,
};
use crate::{SecretId, SecretKey};

/// A lifetime long enough that no case sees it run out.
pub const LONG_TTL: Duration = Duration::from_secs(600);

/// A retention long enough that no case sees it run out.
pub const LONG_RETENTION: Duration = Duration::from_secs(600);

/// The lifetime the timed cases let run out: long enough that a put and a
/// take of a networked store on a loaded machine fit well inside it.
pub const SHORT_TTL: Duration = Duration::from_secs(1);

/// A fresh random id.
pub fn random_id() -> SecretId {
    SecretKey::generate().expect("OS randomness").id()
}

fn random_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    fill_random(&mut bytes).expect("OS randomness");
    bytes
}

/// A fresh random passphrase proof.
pub fn random_proof() -> PassphraseProof {
    PassphraseProof::from_bytes(random_bytes())
}

/// A fresh random receipt claim.
pub fn random_receipt_claim() -> ReceiptClaim {
    ReceiptClaim::from_bytes(random_bytes())
}

/// Guards with a passphrase whose proof is `proof`, allowing `attempts` wrong ones.
pub fn passphrase_guard(proof: &PassphraseProof, attempts: u32) -> Guards {
    let attempts = NonZeroU32::new(attempts).expect("at least one attempt");
    Guards::NONE.with_passphrase(proof.verifier(), attempts)
}

/// Guards with a receipt for `claim`, kept [`LONG_RETENTION`] past expiry.
pub fn receipt_guard(claim: &ReceiptClaim) -> Guards {
    Guards::NONE.with_receipt(claim.verifier(), LONG_RETENTION)
}

/// A recognisable envelope-sized value for `id` (stores treat values as opaque).
pub fn value_for(id: &SecretId, len: usize) -> Vec<u8> {
    id.as_bytes().iter().copied().cycle().take(len).collect()
}

async fn put<S: SecretStore + ?Sized>(store: &S, id: &SecretId, value: &[u8], guards: &Guards) {
    store
        .put_with_ttl(id, value, LONG_TTL, guards)
        .await
        .expect("put");
}

async fn take<S: SecretStore + ?Sized>(store: &S, id: &SecretId) -> TakeOutcome {
    store.take(id, None).await.expect("take")
}

async fn take_with<S: SecretStore + ?Sized>(
    store: &S,
    id: &SecretId,
    proof: &PassphraseProof,
) -> TakeOutcome {
    store
        .take(id, Some(proof))
        .await
        .expect("take with a proof")
}

async fn receipt_of<S: SecretStore + ?Sized>(
    store: &S,
    id: &SecretId,
    claim: &ReceiptClaim,
) -> Option<Receipt> {
    store.receipt(id, claim).await.expect("receipt")
}

async fn burn<S: SecretStore + ?Sized>(
    store: &S,
    id: &SecretId,
    claim: &ReceiptClaim,
) -> Option<BurnOutcome> {
    store.burn(id, claim).await.expect("burn")
}

fn assert_taken(outcome: TakeOutcome, value: &[u8], what: &str) {
    match outcome {
        TakeOutcome::Taken(got) if got == value => {}
        other => panic!("{what}: expected the envelope, got {other:?}"),
    }
}

fn assert_already_exists(result: Result<(), StoreError>, what: &str) {
    match result {
        Err(StoreError::AlreadyExists) => {}
        other => panic!("{what}: expected AlreadyExists, got {other:?}"),
    }
}

/// Put, take: the same bytes come back.
pub async fn round_trip<S: SecretStore>(store: S) {
    let id = random_id();
    let value = value_for(&id, 285);
    put(&store, &id, &value, &Guards::NONE).await;
    assert_taken(take(&store, &id).await, &value, "round trip");
}

/// The second take of one id finds nothing.
pub async fn second_take_is_none<S: SecretStore>(store: S) {
    let id = random_id();
    put(&store, &id, b"once", &Guards::NONE).await;
    assert_taken(take(&store, &id).await, b"once", "first take");
    assert_eq!(
        take(&store, &id).await,
        TakeOutcome::NotFound,
        "second take"
    );
}

/// A take of an id never stored is `NotFound`, not an error; so are a
/// receipt and a burn for it.
pub async fn missing_id_is_none<S: SecretStore>(store: S) {
    let id = random_id();
    assert_eq!(take(&store, &id).await, TakeOutcome::NotFound);
    assert_eq!(
        take_with(&store, &id, &random_proof()).await,
        TakeOutcome::NotFound
    );
    let claim = random_receipt_claim();
    assert_eq!(receipt_of(&store, &id, &claim).await, None);
    assert_eq!(burn(&store, &id, &claim).await, None);
}

/// A second put of one id is `AlreadyExists` and leaves the first value intact.
pub async fn duplicate_put_keeps_original<S: SecretStore>(store: S) {
    let id = random_id();
    put(&store, &id, b"original", &Guards::NONE).await;
    let claim = random_receipt_claim();
    for guards in [
        Guards::NONE,
        receipt_guard(&claim),
        passphrase_guard(&random_proof(), 3),
    ] {
        let second = store
            .put_with_ttl(&id, b"intruder", LONG_TTL, &guards)
            .await;
        assert_already_exists(second, "duplicate put");
    }
    assert_eq!(
        receipt_of(&store, &id, &claim).await,
        None,
        "a refused put left a receipt"
    );
    assert_taken(take(&store, &id).await, b"original", "after duplicate puts");
}

/// An entry is gone after its TTL; one with a longer TTL is still there; the
/// id of a plain secret that expired unread is free again.
///
/// `sleep` advances time: `tokio::time::sleep` on a paused clock for in-process
/// stores, the same on a real clock for servers.
pub async fn expiry<S, F, Fut>(store: S, sleep: F)
where
    S: SecretStore,
    F: Fn(Duration) -> Fut,
    Fut: Future<Output = ()>,
{
    let short = random_id();
    let short_guarded = random_id();
    let long = random_id();
    let proof = random_proof();
    let ttl = SHORT_TTL;
    store
        .put_with_ttl(&short, b"short", ttl, &Guards::NONE)
        .await
        .expect("put short");
    store
        .put_with_ttl(&short_guarded, b"short", ttl, &passphrase_guard(&proof, 3))
        .await
        .expect("put short guarded");
    put(&store, &long, b"long", &Guards::NONE).await;
    sleep(SHORT_TTL * 2).await;
    assert_eq!(
        take(&store, &short).await,
        TakeOutcome::NotFound,
        "expired entry returned"
    );
    assert_eq!(
        take_with(&store, &short_guarded, &proof).await,
        TakeOutcome::NotFound,
        "expired guarded entry returned"
    );
    assert_taken(take(&store, &long).await, b"long", "unexpired entry");
    // Nobody took it, so nothing is to be protected: the id is free.
    put(&store, &short, b"again", &Guards::NONE).await;
    assert_taken(take(&store, &short).await, b"again", "put after expiry");
}

/// A 1 MiB envelope round-trips byte for byte.
pub async fn large_envelope<S: SecretStore>(store: S) {
    let id = random_id();
    let value: Vec<u8> = (0..1024 * 1024)
        .map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    put(&store, &id, &value, &Guards::NONE).await;
    let taken = take(&store, &id).await.into_envelope();
    assert!(
        taken.as_deref() == Some(&value[..]),
        "1 MiB value changed or missing"
    );
}

/// Every byte value, including NUL and invalid UTF-8, round-trips, guarded or not.
pub async fn binary_values<S: SecretStore>(store: S) {
    let value: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
    let id = random_id();
    put(&store, &id, &value, &Guards::NONE).await;
    assert_taken(take(&store, &id).await, &value, "plain binary value");
    let id = random_id();
    let proof = random_proof();
    put(
        &store,
        &id,
        &value,
        &passphrase_guard(&proof, 3)
            .with_receipt(random_receipt_claim().verifier(), LONG_RETENTION),
    )
    .await;
    assert_taken(
        take_with(&store, &id, &proof).await,
        &value,
        "guarded binary value",
    );
}

/// A zero, sub-millisecond or unrepresentable TTL is `InvalidTtl`, an empty
/// envelope is `EmptyEnvelope`, and nothing is stored.
pub async fn invalid_input<S: SecretStore>(store: S) {
    for ttl in [Duration::ZERO, Duration::from_micros(999), Duration::MAX] {
        let id = random_id();
        let result = store.put_with_ttl(&id, b"x", ttl, &Guards::NONE).await;
        assert!(
            matches!(result, Err(StoreError::InvalidTtl)),
            "TTL {ttl:?} gave {result:?}, expected InvalidTtl"
        );
        assert_eq!(
            take(&store, &id).await,
            TakeOutcome::NotFound,
            "a rejected put stored something"
        );
        put(&store, &id, b"x", &Guards::NONE).await;
    }
    let id = random_id();
    let result = store.put_with_ttl(&id, b"", LONG_TTL, &Guards::NONE).await;
    assert!(
        matches!(result, Err(StoreError::EmptyEnvelope)),
        "an empty envelope gave {result:?}, expected EmptyEnvelope"
    );
    put(&store, &id, b"x", &Guards::NONE).await;
}

/// 64 tasks released together by a barrier take one id: exactly one gets it.
pub async fn one_winner_among_64<S: SecretStore>(store: S) {
    const TAKERS: usize = 64;
    let store = Arc::new(store);
    for round in 0..20 {
        let id = random_id();
        let value = value_for(&id, 300);
        put(&*store, &id, &value, &Guards::NONE).await;
        let barrier = Arc::new(Barrier::new(TAKERS));
        let tasks: Vec<_> = (0..TAKERS)
            .map(|_| {
                let (store, barrier) = (store.clone(), barrier.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    store.take(&id, None).await
                })
            })
            .collect();
        let mut winners = 0;
        for task in tasks {
            match task.await.expect("taker panicked").expect("take failed") {
                TakeOutcome::Taken(got) => {
                    assert_eq!(got, value, "round {round}: a taker got the wrong value");
                    winners += 1;
                }
                TakeOutcome::NotFound => {}
                other => panic!("round {round}: a plain take gave {other:?}"),
            }
        }
        assert_eq!(
            winners, 1,
            "round {round}: {winners} of {TAKERS} takers got the secret"
        );
    }
}

/// 2,000 ids, each raced by 4 takers: every value delivered exactly once, none lost.
pub async fn every_id_exactly_once<S: SecretStore>(store: S) {
    const IDS: usize = 2_000;
    const TAKERS: usize = 4;
    let store = Arc::new(store);
    let ids: Vec<SecretId> = (0..IDS).map(|_| random_id()).collect();
    for id in &ids {
        put(&*store, id, &value_for(id, 64), &Guards::NONE).await;
    }
    let delivered: Arc<Vec<AtomicUsize>> =
        Arc::new((0..IDS).map(|_| AtomicUsize::new(0)).collect());
    let mut tasks = Vec::with_capacity(IDS * TAKERS);
    for (index, id) in ids.iter().copied().enumerate() {
        let barrier = Arc::new(Barrier::new(TAKERS));
        for _ in 0..TAKERS {
            let (store, barrier, delivered) = (store.clone(), barrier.clone(), delivered.clone());
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                if let TakeOutcome::Taken(got) = store.take(&id, None).await.expect("take failed") {
                    assert_eq!(got, value_for(&id, 64), "id {id} delivered the wrong value");
                    delivered[index].fetch_add(1, Ordering::SeqCst);
                }
            }));
        }
    }
    for task in tasks {
        task.await.expect("taker panicked");
    }
    let count = |pred: fn(usize) -> bool| {
        delivered
            .iter()
            .filter(|n| pred(n.load(Ordering::SeqCst)))
            .count()
    };
    let (twice, lost) = (count(|n| n > 1), count(|n| n == 0));
    assert_eq!(
        (twice, lost),
        (0, 0),
        "{twice} ids delivered more than once, {lost} never delivered"
    );
}

/// A taken id stays spent: a create with it is `AlreadyExists` whatever its
/// guards, and a take finds nothing. Otherwise whoever took a secret could
/// put another under the same link, and its reader would never notice.
pub async fn taken_id_stays_spent<S: SecretStore>(store: S) {
    let id = random_id();
    put(&store, &id, b"real", &Guards::NONE).await;
    assert_taken(take(&store, &id).await, b"real", "first take");
    let claim = random_receipt_claim();
    for guards in [
        Guards::NONE,
        receipt_guard(&claim),
        passphrase_guard(&random_proof(), 3),
    ] {
        let again = store.put_with_ttl(&id, b"forged", LONG_TTL, &guards).await;
        assert_already_exists(again, "create after a take");
    }
    assert_eq!(
        take(&store, &id).await,
        TakeOutcome::NotFound,
        "take after a refused re-create"
    );
    assert_eq!(
        receipt_of(&store, &id, &claim).await,
        None,
        "a refused create left a receipt"
    );

    // The same for a guarded secret.
    let id = random_id();
    let proof = random_proof();
    put(&store, &id, b"real", &passphrase_guard(&proof, 3)).await;
    assert_taken(
        take_with(&store, &id, &proof).await,
        b"real",
        "guarded take",
    );
    assert_already_exists(
        store
            .put_with_ttl(&id, b"forged", LONG_TTL, &Guards::NONE)
            .await,
        "create after a guarded take",
    );
    assert_eq!(take_with(&store, &id, &proof).await, TakeOutcome::NotFound);
}

/// A spent id outlives the lifetime its secret had: the marker is kept for
/// the store's longest lifetime, not for what was left of the secret's.
pub async fn spent_outlives_the_lifetime<S, F, Fut>(store: S, sleep: F)
where
    S: SecretStore,
    F: Fn(Duration) -> Fut,
    Fut: Future<Output = ()>,
{
    let plain = random_id();
    let guarded = random_id();
    let proof = random_proof();
    let ttl = SHORT_TTL;
    store
        .put_with_ttl(&plain, b"real", ttl, &Guards::NONE)
        .await
        .expect("put");
    store
        .put_with_ttl(&guarded, b"real", ttl, &passphrase_guard(&proof, 3))
        .await
        .expect("put guarded");
    assert_taken(take(&store, &plain).await, b"real", "take");
    assert_taken(
        take_with(&store, &guarded, &proof).await,
        b"real",
        "guarded take",
    );
    sleep(SHORT_TTL * 2).await;
    for id in [plain, guarded] {
        assert_already_exists(
            store
                .put_with_ttl(&id, b"forged", LONG_TTL, &Guards::NONE)
                .await,
            "create after the taken secret's lifetime",
        );
        assert_eq!(take(&store, &id).await, TakeOutcome::NotFound);
    }
}

/// A create raced against the take of the same id never succeeds: the id is
/// live before the take and spent after it.
pub async fn create_raced_against_take<S: SecretStore>(store: S) {
    const ROUNDS: usize = 200;
    let store = Arc::new(store);
    let mut rounds = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let id = random_id();
        put(&*store, &id, b"real", &Guards::NONE).await;
        let barrier = Arc::new(Barrier::new(2));
        let taker = {
            let (store, barrier) = (store.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                store.take(&id, None).await
            })
        };
        let creator = {
            let (store, barrier) = (store.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                store
                    .put_with_ttl(&id, b"forged", LONG_TTL, &Guards::NONE)
                    .await
            })
        };
        rounds.push((id, taker, creator));
    }
    for (id, taker, creator) in rounds {
        let taken = taker.await.expect("taker panicked").expect("take failed");
        assert_taken(taken, b"real", "raced take");
        assert_already_exists(creator.await.expect("creator panicked"), "raced create");
        assert_eq!(
            take(&*store, &id).await,
            TakeOutcome::NotFound,
            "raced create stored something"
        );
    }
}

/// A missing or wrong proof leaves a guarded secret takeable with the right
/// one; a missing proof counts nothing.
pub async fn wrong_passphrase_burns_nothing<S: SecretStore>(store: S) {
    let id = random_id();
    let proof = random_proof();
    put(&store, &id, b"guarded", &passphrase_guard(&proof, 3)).await;
    assert_eq!(take(&store, &id).await, TakeOutcome::PassphraseRequired);
    assert_eq!(
        take(&store, &id).await,
        TakeOutcome::PassphraseRequired,
        "a missing proof was counted"
    );
    let wrong = random_proof();
    assert_eq!(
        take_with(&store, &id, &wrong).await,
        TakeOutcome::WrongPassphrase { attempts_left: 2 }
    );
    assert_eq!(take(&store, &id).await, TakeOutcome::PassphraseRequired);
    assert_eq!(
        take_with(&store, &id, &wrong).await,
        TakeOutcome::WrongPassphrase { attempts_left: 1 }
    );
    assert_taken(
        take_with(&store, &id, &proof).await,
        b"guarded",
        "right proof after wrong ones",
    );
    assert_eq!(
        take_with(&store, &id, &proof).await,
        TakeOutcome::NotFound,
        "second guarded take"
    );
}

/// The limit-th wrong proof destroys the secret and spends its id.
pub async fn attempt_limit_destroys<S: SecretStore>(store: S) {
    let id = random_id();
    let proof = random_proof();
    put(&store, &id, b"guarded", &passphrase_guard(&proof, 3)).await;
    for attempts_left in [2, 1, 0] {
        assert_eq!(
            take_with(&store, &id, &random_proof()).await,
            TakeOutcome::WrongPassphrase { attempts_left }
        );
    }
    assert_eq!(
        take_with(&store, &id, &proof).await,
        TakeOutcome::NotFound,
        "destroyed secret taken"
    );
    assert_eq!(
        take(&store, &id).await,
        TakeOutcome::NotFound,
        "destroyed secret still asks for a passphrase"
    );
    assert_already_exists(
        store
            .put_with_ttl(&id, b"forged", LONG_TTL, &Guards::NONE)
            .await,
        "create after destruction",
    );
    // A limit of one: the first wrong proof destroys.
    let id = random_id();
    put(&store, &id, b"guarded", &passphrase_guard(&proof, 1)).await;
    assert_eq!(
        take_with(&store, &id, &random_proof()).await,
        TakeOutcome::WrongPassphrase { attempts_left: 0 }
    );
    assert_eq!(take_with(&store, &id, &proof).await, TakeOutcome::NotFound);
}

/// 64 tasks race right and wrong proofs for one secret: exactly one outcome
/// ends it (taken, or destroyed by the limit-th wrong proof), and every wrong
/// proof before the end got its own count.
pub async fn guarded_race<S: SecretStore>(store: S) {
    const TASKS: usize = 64;
    let store = Arc::new(store);
    for (round, limit) in (0..20).zip([1000u32, 5].into_iter().cycle()) {
        let id = random_id();
        let value = value_for(&id, 300);
        let proof = Arc::new(random_proof());
        put(&*store, &id, &value, &passphrase_guard(&proof, limit)).await;
        let barrier = Arc::new(Barrier::new(TASKS));
        let tasks: Vec<_> = (0..TASKS)
            .map(|task| {
                let (store, barrier, proof) = (store.clone(), barrier.clone(), proof.clone());
                // One right proof in four.
                let attempt = if task % 4 == 0 {
                    (*proof).clone()
                } else {
                    random_proof()
                };
                tokio::spawn(async move {
                    barrier.wait().await;
                    store.take(&id, Some(&attempt)).await
                })
            })
            .collect();
        let (mut taken, mut lefts) = (0, Vec::new());
        for task in tasks {
            match task.await.expect("task panicked").expect("take failed") {
                TakeOutcome::Taken(got) => {
                    assert_eq!(got, value, "round {round}: wrong value");
                    taken += 1;
                }
                TakeOutcome::WrongPassphrase { attempts_left } => lefts.push(attempts_left),
                TakeOutcome::NotFound => {}
                other => panic!("round {round}: a take with a proof gave {other:?}"),
            }
        }
        lefts.sort_unstable();
        let expected: Vec<u32> = (limit - lefts.len() as u32..limit).collect();
        assert_eq!(
            lefts, expected,
            "round {round}: wrong proofs did not each get their own count"
        );
        let destroyed = lefts.first() == Some(&0);
        assert_eq!(
            taken + usize::from(destroyed),
            1,
            "round {round} (limit {limit}): taken {taken} times, destroyed: {destroyed}"
        );
    }
}

/// Guarded and plain secrets share a store; a proof for an unguarded secret
/// is ignored.
pub async fn guarded_and_plain_together<S: SecretStore>(store: S) {
    let (plain, guarded) = (random_id(), random_id());
    let proof = random_proof();
    put(&store, &plain, b"plain", &Guards::NONE).await;
    put(&store, &guarded, b"guarded", &passphrase_guard(&proof, 3)).await;
    assert_eq!(
        take(&store, &guarded).await,
        TakeOutcome::PassphraseRequired
    );
    assert_taken(
        take_with(&store, &plain, &random_proof()).await,
        b"plain",
        "plain take with a proof",
    );
    assert_taken(
        take_with(&store, &guarded, &proof).await,
        b"guarded",
        "guarded take",
    );
}

fn assert_receipt(receipt: Option<Receipt>, what: &str) -> Receipt {
    receipt.unwrap_or_else(|| panic!("{what}: the receipt is missing"))
}

/// A receipt says pending with the expiry and the failed attempts, then read
/// with the time of the take.
pub async fn receipt_follows_the_secret<S: SecretStore>(store: S) {
    let id = random_id();
    let (claim, proof) = (random_receipt_claim(), random_proof());
    let before = SystemTime::now();
    put(
        &store,
        &id,
        b"with receipt",
        &passphrase_guard(&proof, 3).with_receipt(claim.verifier(), LONG_RETENTION),
    )
    .await;
    let pending = assert_receipt(receipt_of(&store, &id, &claim).await, "pending");
    assert_eq!(
        (pending.state, pending.failed_attempts),
        (ReceiptState::Pending, 0)
    );
    let expected = before + LONG_TTL;
    let skew = pending
        .expires_at
        .duration_since(expected)
        .unwrap_or_else(|e| e.duration());
    assert!(
        skew < Duration::from_secs(5),
        "expires_at is {skew:?} away from now + TTL"
    );
    assert!(matches!(
        take_with(&store, &id, &random_proof()).await,
        TakeOutcome::WrongPassphrase { attempts_left: 2 }
    ));
    let counted = assert_receipt(receipt_of(&store, &id, &claim).await, "after a wrong proof");
    assert_eq!(
        (counted.state, counted.failed_attempts),
        (ReceiptState::Pending, 1)
    );
    assert_taken(
        take_with(&store, &id, &proof).await,
        b"with receipt",
        "take",
    );
    let read = assert_receipt(receipt_of(&store, &id, &claim).await, "read");
    let ReceiptState::Read { at } = read.state else {
        panic!("after the take the receipt says {:?}", read.state);
    };
    assert!(
        at <= read.expires_at && at + LONG_TTL + Duration::from_secs(5) >= read.expires_at,
        "read_at is outside the secret's lifetime"
    );
    assert_eq!(
        (read.expires_at, read.failed_attempts),
        (pending.expires_at, 1)
    );

    // Without a passphrase, a plain take records the read as well.
    let id = random_id();
    put(&store, &id, b"receipt only", &receipt_guard(&claim)).await;
    assert_taken(
        take(&store, &id).await,
        b"receipt only",
        "take of a receipted secret",
    );
    let read = assert_receipt(receipt_of(&store, &id, &claim).await, "read");
    assert!(
        matches!(read.state, ReceiptState::Read { .. }),
        "receipt says {:?}",
        read.state
    );
}

/// The limit-th wrong proof records `Burned` by `PassphraseAttempts`.
pub async fn receipt_records_destruction_by_attempts<S: SecretStore>(store: S) {
    let id = random_id();
    let (claim, proof) = (random_receipt_claim(), random_proof());
    put(
        &store,
        &id,
        b"x",
        &passphrase_guard(&proof, 2).with_receipt(claim.verifier(), LONG_RETENTION),
    )
    .await;
    for attempts_left in [1, 0] {
        assert_eq!(
            take_with(&store, &id, &random_proof()).await,
            TakeOutcome::WrongPassphrase { attempts_left }
        );
    }
    let receipt = assert_receipt(receipt_of(&store, &id, &claim).await, "destroyed");
    assert!(
        matches!(
            receipt.state,
            ReceiptState::Burned {
                reason: BurnReason::PassphraseAttempts,
                ..
            }
        ),
        "receipt says {:?}",
        receipt.state
    );
    assert_eq!(receipt.failed_attempts, 2);
    assert!(
        matches!(burn(&store, &id, &claim).await, Some(BurnOutcome::Refused(r)) if r == receipt)
    );
}

/// A wrong receipt claim learns nothing and changes nothing; a secret
/// without a receipt has none.
pub async fn wrong_receipt_claim_learns_nothing<S: SecretStore>(store: S) {
    let id = random_id();
    let claim = random_receipt_claim();
    put(&store, &id, b"x", &receipt_guard(&claim)).await;
    let wrong = random_receipt_claim();
    assert_eq!(
        receipt_of(&store, &id, &wrong).await,
        None,
        "a wrong claim read the receipt"
    );
    assert_eq!(
        burn(&store, &id, &wrong).await,
        None,
        "a wrong claim burned"
    );
    let pending = assert_receipt(receipt_of(&store, &id, &claim).await, "after wrong claims");
    assert_eq!(pending.state, ReceiptState::Pending);
    assert_taken(take(&store, &id).await, b"x", "take after wrong claims");

    let plain = random_id();
    put(&store, &plain, b"plain", &Guards::NONE).await;
    assert_eq!(
        receipt_of(&store, &plain, &claim).await,
        None,
        "a plain secret has a receipt"
    );
    assert_eq!(
        burn(&store, &plain, &claim).await,
        None,
        "a plain secret was burned"
    );
    assert_taken(
        take(&store, &plain).await,
        b"plain",
        "plain take after receipt calls",
    );
}

/// A burn destroys an unread secret and spends its id; it refuses a secret
/// already burned or read, and says so.
pub async fn burn_destroys_unread<S: SecretStore>(store: S) {
    let id = random_id();
    let claim = random_receipt_claim();
    put(&store, &id, b"x", &receipt_guard(&claim)).await;
    let Some(BurnOutcome::Burned(burned)) = burn(&store, &id, &claim).await else {
        panic!("burn of an unread secret did not burn");
    };
    assert!(
        matches!(
            burned.state,
            ReceiptState::Burned {
                reason: BurnReason::Sender,
                ..
            }
        ),
        "burn says {:?}",
        burned.state
    );
    assert_eq!(
        take(&store, &id).await,
        TakeOutcome::NotFound,
        "burned secret taken"
    );
    assert_eq!(receipt_of(&store, &id, &claim).await, Some(burned));
    assert_eq!(
        burn(&store, &id, &claim).await,
        Some(BurnOutcome::Refused(burned))
    );
    assert_already_exists(
        store
            .put_with_ttl(&id, b"forged", LONG_TTL, &Guards::NONE)
            .await,
        "create after a burn",
    );

    let id = random_id();
    put(&store, &id, b"x", &receipt_guard(&claim)).await;
    assert_taken(take(&store, &id).await, b"x", "take");
    let Some(BurnOutcome::Refused(read)) = burn(&store, &id, &claim).await else {
        panic!("burn after a read did not refuse");
    };
    assert!(
        matches!(read.state, ReceiptState::Read { .. }),
        "burn after read says {:?}",
        read.state
    );
}

/// A take raced against a burn, thousands of times: exactly one wins each
/// round, and the receipt says which.
pub async fn take_raced_against_burn<S: SecretStore>(store: S) {
    const ROUNDS: usize = 2_000;
    let store = Arc::new(store);
    let claim = Arc::new(random_receipt_claim());
    let mut rounds = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let id = random_id();
        put(&*store, &id, b"raced", &receipt_guard(&claim)).await;
        let barrier = Arc::new(Barrier::new(2));
        let taker = {
            let (store, barrier) = (store.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                store.take(&id, None).await
            })
        };
        let burner = {
            let (store, barrier, claim) = (store.clone(), barrier.clone(), claim.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                store.burn(&id, &claim).await
            })
        };
        rounds.push((id, taker, burner));
    }
    let (mut taken, mut burned) = (0, 0);
    for (id, taker, burner) in rounds {
        let take = taker.await.expect("taker panicked").expect("take failed");
        let burn = burner.await.expect("burner panicked").expect("burn failed");
        let story = assert_receipt(receipt_of(&*store, &id, &claim).await, "after the race");
        match (take, burn) {
            (TakeOutcome::Taken(_), Some(BurnOutcome::Refused(r))) => {
                assert!(
                    matches!(r.state, ReceiptState::Read { .. }),
                    "take won, burn saw {:?}",
                    r.state
                );
                assert!(
                    matches!(story.state, ReceiptState::Read { .. }),
                    "take won, receipt says {:?}",
                    story.state
                );
                taken += 1;
            }
            (TakeOutcome::NotFound, Some(BurnOutcome::Burned(r))) => {
                assert_eq!(story, r, "burn won, receipt disagrees");
                burned += 1;
            }
            (take, burn) => panic!("take gave {take:?} and burn gave {burn:?}"),
        }
    }
    assert_eq!(taken + burned, ROUNDS);
}

/// A receipt says `Expired` after the secret's lifetime, keeps the id
/// occupied for the retention, then is forgotten.
pub async fn receipt_expiry_and_retention<S, F, Fut>(store: S, sleep: F)
where
    S: SecretStore,
    F: Fn(Duration) -> Fut,
    Fut: Future<Output = ()>,
{
    let id = random_id();
    let claim = random_receipt_claim();
    let guards = Guards::NONE.with_receipt(claim.verifier(), SHORT_TTL * 2);
    store
        .put_with_ttl(&id, b"x", SHORT_TTL, &guards)
        .await
        .expect("put");
    // Expired, with the retention (until 3 × SHORT_TTL) leaving room for
    // the calls below on a slow machine.
    sleep(SHORT_TTL * 3 / 2).await;
    let expired = assert_receipt(receipt_of(&store, &id, &claim).await, "after expiry");
    assert_eq!(expired.state, ReceiptState::Expired);
    assert_eq!(
        take(&store, &id).await,
        TakeOutcome::NotFound,
        "expired secret taken"
    );
    assert_eq!(
        burn(&store, &id, &claim).await,
        Some(BurnOutcome::Refused(expired))
    );
    assert_already_exists(
        store
            .put_with_ttl(&id, b"other", LONG_TTL, &Guards::NONE)
            .await,
        "create while the receipt is kept",
    );
    sleep(SHORT_TTL * 2).await;
    assert_eq!(
        receipt_of(&store, &id, &claim).await,
        None,
        "receipt kept past its retention"
    );
    put(&store, &id, b"other", &Guards::NONE).await;
}

/// Runs every conformance case as its own test; see the [module docs](self).
#[macro_export]
macro_rules! conformance_suite {
    (
        test: #[$test:meta],
        expiry_test: #[$expiry_test:meta],
        store: $store:expr,
        sleep: $sleep:expr $(,)?
    ) => {
        $crate::conformance_suite!(@cases #[$test] $store;
            round_trip, second_take_is_none, missing_id_is_none, duplicate_put_keeps_original,
            large_envelope, binary_values, invalid_input, one_winner_among_64,
            every_id_exactly_once, taken_id_stays_spent, create_raced_against_take,
            wrong_passphrase_burns_nothing, attempt_limit_destroys, guarded_race,
            guarded_and_plain_together, receipt_follows_the_secret,
            receipt_records_destruction_by_attempts, wrong_receipt_claim_learns_nothing,
            burn_destroys_unread, take_raced_against_burn);
        $crate::conformance_suite!(@timed #[$expiry_test] $store; $sleep;
            expiry, spent_outlives_the_lifetime, receipt_expiry_and_retention);
    };
    (@cases #[$test:meta] $store:expr; $($case:ident),+) => {$(
        #[$test]
        async fn $case() {
            let (_guard, store) = $store.await;
            $crate::testkit::$case(store).await;
        }
    )+};
    (@timed #[$test:meta] $store:expr; $sleep:expr; $($case:ident),+) => {$(
        #[$test]
        async fn $case() {
            let (_guard, store) = $store.await;
            $crate::testkit::$case(store, $sleep).await;
        }
    )+};
}

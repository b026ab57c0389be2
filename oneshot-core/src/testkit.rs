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

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Barrier;

use crate::store::{SecretStore, StoreError};
use crate::{SecretId, SecretKey};

/// A lifetime long enough that no case sees it run out.
pub const LONG_TTL: Duration = Duration::from_secs(600);

/// A fresh random id.
pub fn random_id() -> SecretId {
    SecretKey::generate().expect("OS randomness").id()
}

/// A recognisable envelope-sized value for `id` (stores treat values as opaque).
pub fn value_for(id: &SecretId, len: usize) -> Vec<u8> {
    id.as_bytes().iter().copied().cycle().take(len).collect()
}

/// Put, take: the same bytes come back.
pub async fn round_trip<S: SecretStore>(store: S) {
    let id = random_id();
    let value = value_for(&id, 285);
    store
        .put_with_ttl(&id, &value, LONG_TTL)
        .await
        .expect("put");
    let taken = store.take(&id).await.expect("take");
    assert_eq!(
        taken.as_deref(),
        Some(&value[..]),
        "round trip changed the value"
    );
}

/// The second take of one id finds nothing.
pub async fn second_take_is_none<S: SecretStore>(store: S) {
    let id = random_id();
    store
        .put_with_ttl(&id, b"once", LONG_TTL)
        .await
        .expect("put");
    assert!(
        store.take(&id).await.expect("first take").is_some(),
        "first take found nothing"
    );
    assert_eq!(
        store.take(&id).await.expect("second take"),
        None,
        "second take found the value"
    );
}

/// A take of an id never stored is `Ok(None)`, not an error.
pub async fn missing_id_is_none<S: SecretStore>(store: S) {
    assert_eq!(
        store
            .take(&random_id())
            .await
            .expect("take of a missing id"),
        None
    );
}

/// A second put of one id is `AlreadyExists` and leaves the first value intact.
pub async fn duplicate_put_keeps_original<S: SecretStore>(store: S) {
    let id = random_id();
    store
        .put_with_ttl(&id, b"original", LONG_TTL)
        .await
        .expect("put");
    let second = store.put_with_ttl(&id, b"intruder", LONG_TTL).await;
    assert!(
        matches!(second, Err(StoreError::AlreadyExists)),
        "duplicate put gave {second:?}, expected AlreadyExists"
    );
    let taken = store.take(&id).await.expect("take");
    assert_eq!(
        taken.as_deref(),
        Some(&b"original"[..]),
        "duplicate put overwrote the value"
    );
}

/// An entry is gone after its TTL; one with a longer TTL is still there.
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
    let long = random_id();
    store
        .put_with_ttl(&short, b"short", Duration::from_millis(150))
        .await
        .expect("put short");
    store
        .put_with_ttl(&long, b"long", LONG_TTL)
        .await
        .expect("put long");
    sleep(Duration::from_millis(400)).await;
    assert_eq!(
        store.take(&short).await.expect("take short"),
        None,
        "expired entry was returned"
    );
    assert_eq!(
        store.take(&long).await.expect("take long").as_deref(),
        Some(&b"long"[..]),
        "unexpired entry was lost"
    );
    // An expired id is free again: create-only applies to live entries.
    store
        .put_with_ttl(&short, b"again", LONG_TTL)
        .await
        .expect("put after expiry");
    assert_eq!(
        store.take(&short).await.expect("take").as_deref(),
        Some(&b"again"[..])
    );
}

/// A 1 MiB envelope round-trips byte for byte.
pub async fn large_envelope<S: SecretStore>(store: S) {
    let id = random_id();
    let value: Vec<u8> = (0..1024 * 1024)
        .map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    store
        .put_with_ttl(&id, &value, LONG_TTL)
        .await
        .expect("put 1 MiB");
    let taken = store
        .take(&id)
        .await
        .expect("take 1 MiB")
        .expect("1 MiB value missing");
    assert!(taken == value, "1 MiB value changed");
}

/// Every byte value, including NUL and invalid UTF-8, round-trips.
pub async fn binary_values<S: SecretStore>(store: S) {
    let id = random_id();
    let value: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
    store
        .put_with_ttl(&id, &value, LONG_TTL)
        .await
        .expect("put");
    assert_eq!(
        store.take(&id).await.expect("take").as_deref(),
        Some(&value[..])
    );
}

/// A zero or sub-millisecond TTL is `InvalidTtl`, and nothing is stored.
pub async fn invalid_ttl<S: SecretStore>(store: S) {
    for ttl in [Duration::ZERO, Duration::from_micros(999)] {
        let id = random_id();
        let result = store.put_with_ttl(&id, b"x", ttl).await;
        assert!(
            matches!(result, Err(StoreError::InvalidTtl)),
            "TTL {ttl:?} gave {result:?}, expected InvalidTtl"
        );
        assert_eq!(
            store.take(&id).await.expect("take"),
            None,
            "a rejected put stored something"
        );
    }
}

/// 64 tasks released together by a barrier take one id: exactly one gets it.
pub async fn one_winner_among_64<S: SecretStore>(store: S) {
    const TAKERS: usize = 64;
    let store = Arc::new(store);
    for round in 0..20 {
        let id = random_id();
        let value = value_for(&id, 300);
        store
            .put_with_ttl(&id, &value, LONG_TTL)
            .await
            .expect("put");
        let barrier = Arc::new(Barrier::new(TAKERS));
        let tasks: Vec<_> = (0..TAKERS)
            .map(|_| {
                let (store, barrier) = (store.clone(), barrier.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    store.take(&id).await
                })
            })
            .collect();
        let mut winners = 0;
        for task in tasks {
            if let Some(got) = task.await.expect("taker panicked").expect("take failed") {
                assert_eq!(got, value, "round {round}: a taker got the wrong value");
                winners += 1;
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
        store
            .put_with_ttl(id, &value_for(id, 64), LONG_TTL)
            .await
            .expect("put");
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
                if let Some(got) = store.take(&id).await.expect("take failed") {
                    assert_eq!(got, value_for(&id, 64), "id {id} delivered the wrong value");
                    delivered[index].fetch_add(1, Ordering::SeqCst);
                }
            }));
        }
    }
    for task in tasks {
        task.await.expect("taker panicked");
    }
    let twice = delivered
        .iter()
        .filter(|n| n.load(Ordering::SeqCst) > 1)
        .count();
    let lost = delivered
        .iter()
        .filter(|n| n.load(Ordering::SeqCst) == 0)
        .count();
    assert_eq!(
        (twice, lost),
        (0, 0),
        "{twice} ids delivered more than once, {lost} never delivered"
    );
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
        $crate::conformance_suite!(@case #[$test] $store; round_trip);
        $crate::conformance_suite!(@case #[$test] $store; second_take_is_none);
        $crate::conformance_suite!(@case #[$test] $store; missing_id_is_none);
        $crate::conformance_suite!(@case #[$test] $store; duplicate_put_keeps_original);
        $crate::conformance_suite!(@case #[$test] $store; large_envelope);
        $crate::conformance_suite!(@case #[$test] $store; binary_values);
        $crate::conformance_suite!(@case #[$test] $store; invalid_ttl);
        $crate::conformance_suite!(@case #[$test] $store; one_winner_among_64);
        $crate::conformance_suite!(@case #[$test] $store; every_id_exactly_once);

        #[$expiry_test]
        async fn expiry() {
            let (_guard, store) = $store.await;
            $crate::testkit::expiry(store, $sleep).await;
        }
    };
    (@case #[$test:meta] $store:expr; $case:ident) => {
        #[$test]
        async fn $case() {
            let (_guard, store) = $store.await;
            $crate::testkit::$case(store).await;
        }
    };
}

//! MemoryStore's own behaviour: capacity limits, purging, the purger's lifetime.

use std::time::Duration;

use oneshot_core::store::{Guards, TakeOutcome};
use oneshot_core::testkit::{random_id, value_for};
use oneshot_core::{SecretStore, StoreError};
use oneshot_memory::MemoryStore;

#[tokio::test]
async fn entry_limit_rejects_and_keeps_existing() {
    let store = MemoryStore::builder().max_entries(3).build();
    let ids: Vec<_> = (0..3).map(|_| random_id()).collect();
    for id in &ids {
        store
            .put_with_ttl(
                id,
                &value_for(id, 10),
                Duration::from_secs(60),
                &Guards::NONE,
            )
            .await
            .unwrap();
    }
    let extra = random_id();
    let err = store
        .put_with_ttl(&extra, b"x", Duration::from_secs(60), &Guards::NONE)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::CapacityExceeded), "{err:?}");
    assert_eq!(
        store.take(&extra, None).await.unwrap(),
        TakeOutcome::NotFound
    );
    for id in &ids {
        assert_eq!(
            store.take(id, None).await.unwrap(),
            TakeOutcome::Taken(value_for(id, 10)),
            "existing secret lost"
        );
    }
    // Taken ids stay spent and still count: no room until they pass.
    let err = store
        .put_with_ttl(&extra, b"x", Duration::from_secs(60), &Guards::NONE)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::CapacityExceeded), "{err:?}");
}

#[tokio::test]
async fn byte_limit_rejects_and_keeps_existing() {
    let store = MemoryStore::builder().max_bytes(1000).build();
    let first = random_id();
    store
        .put_with_ttl(&first, &[1; 600], Duration::from_secs(60), &Guards::NONE)
        .await
        .unwrap();
    let second = random_id();
    let err = store
        .put_with_ttl(&second, &[2; 401], Duration::from_secs(60), &Guards::NONE)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::CapacityExceeded), "{err:?}");
    store
        .put_with_ttl(&second, &[2; 400], Duration::from_secs(60), &Guards::NONE)
        .await
        .unwrap();
    assert_eq!(store.stats().bytes, 1000);
    assert_eq!(
        store.take(&first, None).await.unwrap(),
        TakeOutcome::Taken(vec![1; 600])
    );
    assert_eq!(store.stats().bytes, 400, "a taken envelope still counts");
}

#[tokio::test(start_paused = true)]
async fn expired_entries_free_capacity_for_new_puts() {
    let store = MemoryStore::builder().max_entries(2).build();
    for _ in 0..2 {
        store
            .put_with_ttl(&random_id(), b"x", Duration::from_secs(1), &Guards::NONE)
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    // No purger running: the put itself frees the expired entries first.
    store
        .put_with_ttl(&random_id(), b"y", Duration::from_secs(1), &Guards::NONE)
        .await
        .unwrap();
    assert_eq!(store.stats().entries, 1);
}

#[tokio::test(start_paused = true)]
async fn purger_returns_memory_to_baseline_after_a_flood() {
    let store = MemoryStore::new();
    let baseline = store.stats();
    let _purger = store.spawn_purger(Duration::from_millis(100)).unwrap();
    for _ in 0..50_000 {
        let id = random_id();
        store
            .put_with_ttl(
                &id,
                &value_for(&id, 300),
                Duration::from_secs(5),
                &Guards::NONE,
            )
            .await
            .unwrap();
    }
    let flooded = store.stats();
    assert_eq!((flooded.entries, flooded.bytes), (50_000, 50_000 * 300));
    assert!(flooded.capacity >= 50_000);

    tokio::time::sleep(Duration::from_secs(6)).await;
    let after = store.stats();
    assert_eq!(
        (after.entries, after.bytes),
        (0, 0),
        "purger left expired entries"
    );
    assert!(
        after.capacity <= baseline.capacity.max(1024),
        "map kept {} slots after draining",
        after.capacity
    );
}

#[tokio::test(start_paused = true)]
async fn purger_task_ends_when_the_store_is_dropped() {
    let store = MemoryStore::new();
    let clone = store.clone();
    let purger = store.spawn_purger(Duration::from_millis(10)).unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    drop(store);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        !purger.is_finished(),
        "purger stopped while a clone was alive"
    );
    drop(clone);
    tokio::time::timeout(Duration::from_secs(1), purger)
        .await
        .expect("purger still running after the last store was dropped")
        .unwrap();
}

#[test]
fn purger_outside_a_runtime_is_an_error_not_a_panic() {
    assert!(
        MemoryStore::new()
            .spawn_purger(Duration::from_secs(1))
            .is_err()
    );
}

#[tokio::test(start_paused = true)]
async fn expired_entry_is_not_returned_even_before_purge() {
    let store = MemoryStore::new();
    let id = random_id();
    store
        .put_with_ttl(&id, b"x", Duration::from_millis(10), &Guards::NONE)
        .await
        .unwrap();
    tokio::time::advance(Duration::from_millis(10)).await;
    assert_eq!(
        store.take(&id, None).await.unwrap(),
        TakeOutcome::NotFound,
        "returned at its deadline"
    );
    assert_eq!(
        store.stats().entries,
        0,
        "take of an expired entry did not free it"
    );
}

#[test]
fn debug_shows_counts_not_contents() {
    let debug = format!("{:?}", MemoryStore::new());
    assert!(debug.contains("entries: 0"), "{debug}");
}

#[tokio::test(start_paused = true)]
async fn spent_ids_are_freed_after_max_ttl_and_count_meanwhile() {
    let max_ttl = Duration::from_secs(3600);
    let store = MemoryStore::builder()
        .max_ttl(max_ttl)
        .max_entries(1)
        .build();
    let id = random_id();
    let err = store
        .put_with_ttl(&id, b"x", max_ttl + Duration::from_millis(1), &Guards::NONE)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidTtl), "{err:?}");
    store
        .put_with_ttl(&id, b"x", Duration::from_secs(60), &Guards::NONE)
        .await
        .unwrap();
    assert!(matches!(
        store.take(&id, None).await.unwrap(),
        TakeOutcome::Taken(_)
    ));
    let stats = store.stats();
    assert_eq!((stats.entries, stats.live, stats.bytes), (1, 0, 0));
    tokio::time::sleep(max_ttl - Duration::from_secs(1)).await;
    let err = store
        .put_with_ttl(&id, b"y", Duration::from_secs(60), &Guards::NONE)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::AlreadyExists),
        "spent id freed early: {err:?}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    store
        .put_with_ttl(&id, b"y", Duration::from_secs(60), &Guards::NONE)
        .await
        .expect("the spent id and its entry are free after max_ttl");
}

#[tokio::test(start_paused = true)]
async fn an_expired_envelope_is_freed_while_its_receipt_is_kept() {
    use oneshot_core::testkit::random_receipt_claim;
    let store = MemoryStore::new();
    let claim = random_receipt_claim();
    let guards = Guards::NONE.with_receipt(claim.verifier(), Duration::from_secs(3600));
    store
        .put_with_ttl(&random_id(), &[7; 1000], Duration::from_secs(60), &guards)
        .await
        .unwrap();
    assert_eq!(store.stats().bytes, 1000);
    tokio::time::sleep(Duration::from_secs(61)).await;
    assert_eq!(store.purge_expired(), 0, "the receipt's entry went early");
    let stats = store.stats();
    assert_eq!(
        (stats.entries, stats.live, stats.bytes),
        (1, 0, 0),
        "envelope kept past expiry"
    );
    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert_eq!(store.purge_expired(), 1);
    assert_eq!(store.stats().entries, 0);
}

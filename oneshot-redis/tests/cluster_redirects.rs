//! A slot in migration: the source node answers ASK, and the store follows it
//! with ASKING + the command on the target (the cluster client's own
//! redirect-following is off, because it would also re-send after timeouts).
//! Commands and scripts whose keys are all on one node run there; a script
//! over a secret's two keys while one of them is missing gets TRYAGAIN until
//! the migration ends, which the store reports as `Unavailable`.

mod common;

use std::time::Duration;

use oneshot_core::store::{BurnOutcome, Guards, ReceiptState, TakeOutcome};
use oneshot_core::testkit::{passphrase_guard, random_id, random_proof, random_receipt_claim};
use oneshot_core::{SecretId, SecretStore, StoreError};
use oneshot_redis::{RedisStore, TakeMode};
use oneshot_redis_harness::{RedisCluster, key_slot};
use tokio::time::Instant;

fn id_in_slot(store: &RedisStore, slot: u16) -> SecretId {
    (0..2_000_000)
        .map(|_| random_id())
        .find(|id| key_slot(&store.key_for(id)) == slot)
        .expect("an id in the slot")
}

fn text(key: Vec<u8>) -> String {
    String::from_utf8(key).expect("ASCII key")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_redirects_during_a_migration_are_followed() {
    // Its own cluster: the slot ends up on another node.
    let cluster = RedisCluster::start();
    let store = common::cluster_store(&cluster).await;
    let script_store = common::cluster_config(cluster.urls())
        .take_mode(TakeMode::Script)
        .connect()
        .await
        .expect("connect");
    let ranges = cluster.slot_ranges();
    let (source, target) = (0, 1);
    let slot = key_slot(&store.key_for(&random_id()));
    let slot = (0..16384u16)
        .map(|s| (slot + s) % 16384)
        .find(|s| ranges[source].contains(*s))
        .expect("a slot on the source");
    let slot_arg = slot.to_string();
    let source_node = &cluster.nodes()[source];
    let target_node = &cluster.nodes()[target];
    let count_on = |node: &oneshot_redis_harness::RedisServer| {
        node.cli(&["cluster", "countkeysinslot", &slot_arg])
    };

    // A guarded secret made before the migration: both keys on the source.
    let (proof, claim) = (random_proof(), random_receipt_claim());
    let guards =
        passphrase_guard(&proof, 5).with_receipt(claim.verifier(), Duration::from_secs(60));
    let ttl = Duration::from_secs(60);
    let early = id_in_slot(&store, slot);
    store
        .put_with_ttl(&early, b"early", ttl, &guards)
        .await
        .expect("put before the migration");
    assert_eq!(count_on(source_node), "2");

    let source_id = source_node.cli(&["cluster", "myid"]);
    let target_id = target_node.cli(&["cluster", "myid"]);
    target_node.cli(&["cluster", "setslot", &slot_arg, "importing", &source_id]);
    source_node.cli(&["cluster", "setslot", &slot_arg, "migrating", &target_id]);

    // Plain secrets: one key. The key does not exist on the source, so the
    // put is sent on with ASK; so are the takes, by command and by script.
    for (store, value) in [(&store, &b"in transit"[..]), (&script_store, b"scripted")] {
        let id = id_in_slot(store, slot);
        let before: u32 = count_on(target_node).parse().expect("count");
        store
            .put_with_ttl(&id, value, ttl, &Guards::NONE)
            .await
            .expect("put during migration");
        assert_eq!(
            count_on(target_node),
            (before + 1).to_string(),
            "the put did not land on the importing node"
        );
        assert_eq!(
            store.take(&id, None).await.expect("take during migration"),
            TakeOutcome::Taken(value.to_vec())
        );
        assert_eq!(
            store.take(&id, None).await.expect("second take"),
            TakeOutcome::NotFound
        );
    }
    assert_eq!(
        count_on(target_node),
        "2",
        "two spent markers on the importing node"
    );

    // The early secret has both keys on the source, which runs its scripts.
    assert_eq!(
        store
            .take(&early, Some(&random_proof()))
            .await
            .expect("wrong take"),
        TakeOutcome::WrongPassphrase { attempts_left: 4 }
    );
    assert_eq!(
        script_store
            .receipt(&early, &claim)
            .await
            .expect("receipt")
            .map(|r| r.failed_attempts),
        Some(1)
    );

    // A new guarded secret needs both keys on the importing node, where
    // neither exists yet: TRYAGAIN, retried, then Unavailable. Nothing ran.
    let late = id_in_slot(&store, slot);
    let began = Instant::now();
    let refused = store.put_with_ttl(&late, b"late", ttl, &guards).await;
    assert!(
        matches!(refused, Err(StoreError::Unavailable(_))),
        "{refused:?}"
    );
    assert!(began.elapsed() < common::CALL_BOUND);
    assert_eq!(count_on(target_node), "2");

    // Migrate the early secret's two keys (one MIGRATE): its scripts follow
    // ASK to the target, where both keys are.
    let (key, envelope) = (store.key_for(&early), {
        let mut key = store.key_for(&early);
        key.extend_from_slice(b":e");
        key
    });
    let port = target_node.port().to_string();
    let migrated = source_node.cli(&[
        "migrate",
        "127.0.0.1",
        &port,
        "",
        "0",
        "5000",
        "keys",
        &text(key),
        &text(envelope),
    ]);
    assert_eq!(migrated, "OK");
    assert_eq!(
        (
            count_on(source_node).as_str(),
            count_on(target_node).as_str()
        ),
        ("0", "4")
    );
    let pending = store
        .receipt(&early, &claim)
        .await
        .expect("receipt")
        .expect("kept");
    assert_eq!(
        (pending.state, pending.failed_attempts),
        (ReceiptState::Pending, 1)
    );
    assert_eq!(
        store
            .take(&early, Some(&proof))
            .await
            .expect("take after the keys moved"),
        TakeOutcome::Taken(b"early".to_vec())
    );
    let read = store
        .receipt(&early, &claim)
        .await
        .expect("receipt")
        .expect("kept");
    assert!(matches!(read.state, ReceiptState::Read { .. }), "{read:?}");
    // Its envelope is gone now, so a two-key script (the burn) is TRYAGAIN
    // on the importing node until the migration ends.
    let burn = store.burn(&early, &claim).await;
    assert!(matches!(burn, Err(StoreError::Unavailable(_))), "{burn:?}");

    // The migration ends: the slot is the target's. MOVED is followed.
    for node in cluster.nodes() {
        node.cli(&["cluster", "setslot", &slot_arg, "node", &target_id]);
    }
    assert!(matches!(
        store.burn(&early, &claim).await.expect("burn after the migration"),
        Some(BurnOutcome::Refused(r)) if r == read
    ));
    store
        .put_with_ttl(&late, b"late", ttl, &guards)
        .await
        .expect("guarded put after the migration");
    assert_eq!(
        script_store.take(&late, Some(&proof)).await.expect("take"),
        TakeOutcome::Taken(b"late".to_vec())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scripts_work_on_a_cluster_even_after_script_flush() {
    let cluster = common::shared_cluster();
    let store = common::cluster_config(cluster.urls())
        .take_mode(TakeMode::Script)
        .connect()
        .await
        .expect("connect");
    assert_eq!(store.take_mode(), TakeMode::Script);
    let (proof, claim) = (random_proof(), random_receipt_claim());
    let guards =
        passphrase_guard(&proof, 3).with_receipt(claim.verifier(), Duration::from_secs(60));
    for round in 0..2 {
        for node in cluster.nodes() {
            node.cli(&["script", "flush"]);
        }
        // Ids across all three masters: EVALSHA is routed by its key, and
        // each node learns each script by EVAL after its NOSCRIPT.
        for _ in 0..12 {
            let id = random_id();
            store
                .put_with_ttl(&id, b"scripted", Duration::from_secs(60), &Guards::NONE)
                .await
                .expect("put");
            assert_eq!(
                store.take(&id, None).await.expect("take"),
                TakeOutcome::Taken(b"scripted".to_vec()),
                "round {round}"
            );
            assert_eq!(
                store.take(&id, None).await.expect("second take"),
                TakeOutcome::NotFound
            );
            let id = random_id();
            store
                .put_with_ttl(&id, b"guarded", Duration::from_secs(60), &guards)
                .await
                .expect("guarded put");
            assert_eq!(
                store.take(&id, None).await.expect("take without proof"),
                TakeOutcome::PassphraseRequired
            );
            assert_eq!(
                store.take(&id, Some(&proof)).await.expect("take"),
                TakeOutcome::Taken(b"guarded".to_vec())
            );
            assert!(matches!(
                store.burn(&id, &claim).await.expect("burn"),
                Some(BurnOutcome::Refused(_))
            ));
        }
    }
}
